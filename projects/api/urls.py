from projects.api.inspections import InspectionViewSet
from projects.api.views import ProgressUpdateViewSet, ProjectViewSet, TimelineEventViewSet

routes = [
    ("updates", ProgressUpdateViewSet, "progress-update"),
    ("projects", ProjectViewSet, "project"),
    ("timeline", TimelineEventViewSet, "timeline-event"),
    ("inspections", InspectionViewSet, "inspection"),
]
