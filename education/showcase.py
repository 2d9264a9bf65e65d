"""The education section of the home page: headline figures of the pairing's sponsored class."""

from education import selectors

# Releases are append-only: when one was made is when the published results changed (数据截至).
CHANGE_SOURCES = (("education.ResultsRelease", "released_at"),)


def home_section(programme):
    sponsored = selectors.public_programme(programme)
    if sponsored is None:
        return None
    figures = selectors.programme_figures(sponsored)
    return "education/home_section.html", {
        "programme": sponsored,
        "intakes": figures.intakes,
        "cohort_count": len(figures.intakes.intakes),
        "latest": figures.latest_result,
    }
