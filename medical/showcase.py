"""The medical section of the home page: the headline 揭榜援藏 and outreach figures."""

from medical import selectors

# Claims, status changes and verifications: the timestamps behind the page's figures and the
# claims download (数据截至).
CHANGE_SOURCES = (
    ("medical.Claim", "created_at"),
    ("medical.Transition", "at"),
    ("medical.Verification", "verified_at"),
)


def home_section(programme):
    headline = selectors.headline(programme)
    outreach = selectors.outreach(programme)
    if not headline["lists"] and not outreach["clinic_count"] and not outreach["charity_count"]:
        return None
    return "medical/home_section.html", {"headline": headline, "outreach": outreach}
