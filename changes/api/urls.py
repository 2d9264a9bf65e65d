from changes.api.views import ChangeFeedViewSet, WebhookEndpointViewSet

routes = [
    ("changes", ChangeFeedViewSet, "change"),
    ("webhooks", WebhookEndpointViewSet, "webhook"),
]
