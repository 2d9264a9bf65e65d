"""What the load test's visitors ask for: read by bench/locustfile.py, and by bench/load_test.py
to warm the portal up before the timed run."""

PAGES = ["/", "/projects/", "/timeline/", "/funding/", "/medical/", "/education/"]
LANGUAGES = ("", "/en")
API_LISTS = [
    "/api/v1/projects/",
    "/api/v1/updates/",
    "/api/v1/funding/entries/",
    "/api/v1/medical/items/",
    "/api/v1/organisations/",
    "/api/v1/timeline/",
]
