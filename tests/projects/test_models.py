"""What must always hold is enforced by PostgreSQL itself, not only by forms."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.db.models.signals import post_init, post_save
from imagekit.specs.sourcegroups import signal_router
from PIL import Image

from projects.models import Milestone, Photo, Project
from reference.models import Organisation, Place
from tests.factories import (
    IndicatorFactory,
    MilestoneFactory,
    OrganisationFactory,
    PlaceFactory,
    PlanPeriodFactory,
    ProgrammeFactory,
    ProjectFactory,
)

pytestmark = pytest.mark.django_db


def refused(**changes):
    project = ProjectFactory()
    for name, value in changes.items():
        setattr(project, name, value)
    with pytest.raises(IntegrityError), transaction.atomic():
        project.save()


def test_database_refuses_negative_investment():
    refused(planned_investment=Decimal("-1.00"))


def test_database_refuses_an_end_before_the_start():
    refused(planned_start=datetime.date(2024, 5, 1), planned_end=datetime.date(2024, 4, 30))
    refused(actual_start=datetime.date(2024, 5, 1), actual_end=datetime.date(2023, 1, 1))


def test_database_refuses_beneficiaries_without_a_unit():
    refused(beneficiaries=85, beneficiary_unit="")


def test_project_codes_are_unique():
    ProjectFactory(code="HZ-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        ProjectFactory(code="HZ-1")


def test_organisation_codes_are_unique_and_no_organisation_is_its_own_parent():
    organisation = OrganisationFactory(code="HZGOV")
    with pytest.raises(IntegrityError), transaction.atomic():
        OrganisationFactory._meta.model.objects.create(code="HZGOV", name="dup")
    organisation.parent = organisation
    with pytest.raises(IntegrityError), transaction.atomic():
        organisation.save()


def test_a_standard_milestone_happens_once_per_project():
    project = ProjectFactory()
    MilestoneFactory(project=project, kind=Milestone.Kind.COMPLETION)
    with pytest.raises(IntegrityError), transaction.atomic():
        MilestoneFactory(project=project, kind=Milestone.Kind.COMPLETION)
    MilestoneFactory(project=project, kind=Milestone.Kind.CUSTOM, title="Roof on")
    MilestoneFactory(project=project, kind=Milestone.Kind.CUSTOM, title="Heating on")


def test_plan_period_and_place_rules():
    with pytest.raises(IntegrityError), transaction.atomic():
        PlanPeriodFactory(start_year=2025, end_year=2021)
    with pytest.raises(IntegrityError), transaction.atomic():
        Place.objects.create(name="孤村", level=Place.Level.VILLAGE)


def test_place_must_sit_one_level_below_its_parent():
    district = PlaceFactory()
    village = Place(name="罗岗村", level=Place.Level.VILLAGE, parent=district)
    with pytest.raises(Exception) as error:
        village.full_clean()
    assert "parent" in error.value.message_dict


def test_programme_donor_and_partner_differ():
    organisation = OrganisationFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ProgrammeFactory(donor=organisation, partner=organisation)


def test_indicator_progress_is_the_share_from_baseline_to_target():
    indicator = IndicatorFactory(
        baseline=Decimal("20"), target=Decimal("120"), actual=Decimal("70")
    )
    assert indicator.progress == Decimal("0.5")
    indicator.actual = Decimal("500")
    assert indicator.progress == Decimal("1")


def test_unknown_illustrative_field_names_are_refused():
    project = ProjectFactory.build(
        programme=ProgrammeFactory(), illustrative_fields=["planned_investment", "colour"]
    )
    with pytest.raises(Exception) as error:
        project.full_clean()
    assert "illustrative_fields" in error.value.message_dict


def test_a_photo_gets_a_thumbnail_of_the_set_size():
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), (20, 120, 200)).save(buffer, format="JPEG")
    project = ProjectFactory()
    photo = Photo.objects.create(
        project=project,
        image=SimpleUploadedFile("site.jpg", buffer.getvalue(), content_type="image/jpeg"),
        caption="工地",
    )

    with Image.open(photo.thumbnail.path) as thumb:
        assert thumb.size == (400, 300)
    assert photo.thumbnail.url.endswith(".jpg")
    assert Project.objects.get(pk=project.pk).photos.count() == 1


def jpeg(size: tuple[int, int], colour: tuple[int, int, int]) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="JPEG")
    return SimpleUploadedFile("site.jpg", buffer.getvalue(), content_type="image/jpeg")


def test_a_photo_given_a_new_image_gets_a_new_thumbnail():
    photo = Photo.objects.create(
        project=ProjectFactory(), image=jpeg((1200, 900), (200, 20, 20)), caption="工地"
    )
    first = photo.thumbnail.path

    # Read afresh, as the admin does before saving a change.
    photo = Photo.objects.get(pk=photo.pk)
    photo.image = jpeg((900, 1200), (20, 200, 20))
    photo.save()

    assert photo.thumbnail.path != first
    with Image.open(photo.thumbnail.path) as thumb:
        assert thumb.size == (400, 300)
        assert thumb.getpixel((200, 150))[1] > 150  # the new image's green


def imagekit_hears(signal, model) -> bool:
    sync, asynchronous = signal._live_receivers(model)
    return any(getattr(r, "__self__", None) is signal_router for r in [*sync, *asynchronous])


def test_only_models_with_image_sources_are_watched_for_them():
    # django-imagekit would otherwise be called for every model instance made or saved.
    assert imagekit_hears(post_init, Photo) and imagekit_hears(post_save, Photo)
    assert not imagekit_hears(post_init, Organisation)
    assert not imagekit_hears(post_save, Project)
