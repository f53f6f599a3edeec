"""A national phone number (``6465550123``) is read in the lead's own country, or else in the
operator's default region; with neither it is refused, saying how to write it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from domain import phone_region
from domain.values import PHONE_HELP, LeadDetails
from infra.settings import Settings


@pytest.fixture
def us_by_default() -> Iterator[None]:
    phone_region.configure("US")
    yield
    phone_region.configure(None)


def details(phone: str, country: str | None = None) -> LeadDetails:
    address = {"address": {"country": country}} if country else {}
    return LeadDetails.model_validate({"contact_name": "Ann", "phone": phone} | address)


def test_a_national_number_is_read_in_the_default_region(us_by_default: None) -> None:
    assert details("6465550123").phone == "+16465550123"
    assert details("(646) 555-0123").phone == "+16465550123"


def test_without_a_default_region_a_national_number_is_refused_saying_how_to_write_it() -> None:
    assert phone_region.current() is None
    with pytest.raises(ValidationError) as refused:
        details("6465550123")
    error = refused.value.errors()[0]
    assert error["loc"] == ("phone",) and PHONE_HELP in error["msg"]


def test_the_leads_own_country_wins_over_the_default_region(us_by_default: None) -> None:
    assert details("020 7946 0958", country="GB").phone == "+442079460958"
    with pytest.raises(ValidationError, match="is not a valid phone number in GB"):
        details("6465550123", country="GB")


def test_an_international_number_ignores_the_default_region(us_by_default: None) -> None:
    assert details("+44 20 7946 0958").phone == "+442079460958"


def test_a_number_invalid_in_the_default_region_is_refused_naming_the_region(us_by_default: None) -> None:
    with pytest.raises(ValidationError, match="is not a valid phone number in US"):
        details("020 7946 0958")


def test_the_default_region_must_be_a_country_code_with_phone_numbers() -> None:
    with pytest.raises(ValueError, match="'XX' is not an ISO 3166-1 alpha-2 country code"):
        phone_region.configure("XX")
    assert phone_region.current() is None
    phone_region.configure("gb")
    assert phone_region.current() == "GB"
    phone_region.configure(None)
    assert phone_region.current() is None


def test_the_setting_is_checked_when_read_and_empty_means_unset() -> None:
    assert Settings(default_phone_region="us").default_phone_region == "US"
    assert Settings(default_phone_region=" ").default_phone_region is None
    assert Settings().default_phone_region is None
    with pytest.raises(ValidationError, match="default_phone_region"):
        Settings(default_phone_region="United States")


def test_the_setting_is_read_from_its_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADS_DEFAULT_PHONE_REGION", "DE")
    assert Settings().default_phone_region == "DE"
