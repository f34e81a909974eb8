import pytest

from orderhub.core.preprocess import POSTAL_FORMATS, postal_code_problem

REQUIRED_COUNTRIES = [
    "FR",
    "DE",
    "GB",
    "US",
    "CA",
    "NL",
    "BE",
    "ES",
    "IT",
    "CH",
    "AT",
    "PL",
    "SE",
    "DK",
    "IE",
    "PT",
    "JP",
    "AU",
]

VALID = {
    "FR": ["75001", "20000"],
    "DE": ["10115", "01067"],
    "GB": ["SW1A 1AA", "ec1a1bb", "M1 1AE", "B33 8TH", "CR2 6XH", "DN55 1PT", "W1A 0AX"],
    "US": ["10001", "94105-1804"],
    "CA": ["K1A 0B1", "h2x1y4"],
    "NL": ["1012 JS", "3511AB"],
    "BE": ["1000", "9000"],
    "ES": ["28013", "08001", "52001"],
    "IT": ["00184", "20121"],
    "CH": ["8001", "1200"],
    "AT": ["1010", "6020"],
    "PL": ["00-950", "31-042"],
    "SE": ["111 22", "41319"],
    "DK": ["1050", "8000"],
    "IE": ["D02 X285", "A65F4E2", "D6W 1234"],
    "PT": ["1100-148", "4000-322"],
    "JP": ["100-0001", "1500001"],
    "AU": ["2000", "0800"],
}

INVALID = {
    "FR": ["7500", "750011", "75 001"],
    "DE": ["1011", "ABCDE"],
    "GB": ["SW1A", "12345", "QA1 1AA"],
    "US": ["1234", "12345-12"],
    "CA": ["D1A 0B1", "K1A0B"],
    "NL": ["0123 AB", "1012 SS", "1012"],
    "BE": ["0100", "10000"],
    "ES": ["53001", "00123"],
    "IT": ["0018"],
    "CH": ["0800", "80011"],
    "AT": ["0100"],
    "PL": ["00950", "00-95"],
    "SE": ["011 22", "1112"],
    "DK": ["0800", "DK-1050"],
    "IE": ["D02", "B12 ABCD"],
    "PT": ["1100", "1100148"],
    "JP": ["100-001", "10-00001"],
    "AU": ["200", "20000"],
}


def test_every_required_country_has_a_format():
    assert set(REQUIRED_COUNTRIES) <= set(POSTAL_FORMATS)
    assert set(VALID) == set(INVALID) == set(REQUIRED_COUNTRIES)


@pytest.mark.parametrize("country", REQUIRED_COUNTRIES)
def test_valid_codes_and_the_documented_example_pass(country):
    for code in [*VALID[country], POSTAL_FORMATS[country].example]:
        assert postal_code_problem(country, code) is None, code


@pytest.mark.parametrize("country", REQUIRED_COUNTRIES)
def test_invalid_codes_are_explained(country):
    for code in INVALID[country]:
        problem = postal_code_problem(country, code)
        assert problem is not None, code
        assert problem.startswith(f"postal code {code!r} is not a valid {country} postal code")


def test_missing_code_matters_only_where_codes_are_required():
    assert postal_code_problem("FR", "") == "missing postal code"
    assert postal_code_problem("IE", None) is None
    assert postal_code_problem("HK", None) is None
    assert postal_code_problem("HK", "anything") is None
