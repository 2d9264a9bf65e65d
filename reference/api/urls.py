from reference.api.views import OrganisationViewSet, PlaceViewSet, ProgrammeViewSet

routes = [
    ("organisations", OrganisationViewSet, "organisation"),
    ("places", PlaceViewSet, "place"),
    ("programmes", ProgrammeViewSet, "programme"),
]
