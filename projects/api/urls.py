from projects.api.views import ProjectViewSet, TimelineEventViewSet

routes = [
    ("projects", ProjectViewSet, "project"),
    ("timeline", TimelineEventViewSet, "timeline-event"),
]
