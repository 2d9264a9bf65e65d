from medical.api.views import CallItemViewSet, CallListViewSet, ClaimViewSet, MedicalFiguresViewSet

routes = [
    ("medical/lists", CallListViewSet, "medical-list"),
    ("medical/items", CallItemViewSet, "medical-item"),
    ("medical/claims", ClaimViewSet, "medical-claim"),
    ("medical", MedicalFiguresViewSet, "medical"),
]
