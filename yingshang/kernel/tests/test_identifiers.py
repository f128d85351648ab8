"""Unified social credit codes: the check, its messages, the Django and pydantic wrappers, the API."""

from __future__ import annotations

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from yingshang.kernel.fields import USCCField, USCCFormField
from yingshang.kernel.identifiers import (
    AUTHORITIES,
    CHARSET,
    PROVINCE_PREFIXES,
    InvalidIdentifier,
    check_uscc,
    make_uscc,
    normalise_uscc,
    organisation_code_check,
    parse_uscc,
    uscc_check_character,
)
from yingshang.kernel.types import USCC

# Codes of real organisations, as printed on their public business licences and registers.
REAL_CODES = [
    "914403001922038216",  # 华为技术有限公司 (zh.wikipedia.org, 華為, "機構代碼")
    "9144030071526726XG",  # 腾讯科技(深圳)有限公司: organisation code check character X
    "91330100716105852F",  # 阿里巴巴(中国)有限公司
    "91110108551385082Q",  # 小米科技有限责任公司
    "91110000802100433B",  # 北京百度网讯科技有限公司
    "91110000710925462X",  # 中国石油天然气股份有限公司: final check character X
    "12100000400000624D",  # 北京大学: authority 1 (机构编制), type 2 (事业单位), national 100000
]

VALID = "914403001922038216"


def problem(code: str) -> InvalidIdentifier:
    with pytest.raises(InvalidIdentifier) as info:
        check_uscc(code)
    return info.value


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_are_valid(code: str) -> None:
    assert check_uscc(code) == code


@pytest.mark.parametrize(
    "given",
    [
        "  914403001922038216\t",
        "9144030071526726xg",
        "９１４４０３００１９２２０３８２１６",  # full-width digits
        "\u3000914403001922038216\u3000",  # ideographic spaces around it
    ],
)
def test_codes_are_normalised(given: str) -> None:
    assert check_uscc(given) == normalise_uscc(given).upper()
    assert len(check_uscc(given)) == 18


def test_normalise_keeps_inner_characters_for_the_check_to_report() -> None:
    assert normalise_uscc(" ９a-b ") == "9A-B"


def test_empty() -> None:
    exc = problem("   ")
    assert exc.code == "empty"
    assert exc.message.render("en") == "Enter the unified social credit code."


@pytest.mark.parametrize(("code", "given"), [(VALID[:17], 17), (VALID + "1", 19), ("9", 1)])
def test_wrong_length_says_how_many_were_given(code: str, given: int) -> None:
    exc = problem(code)
    assert exc.code == "length"
    assert exc.position is None
    assert exc.message.render("en") == f"A unified social credit code has 18 characters; {given} were given."
    assert exc.message.render("zh-hans") == f"统一社会信用代码应为18位，实际为{given}位。"


@pytest.mark.parametrize("letter", ["I", "O", "S", "V", "Z", "-", "中", " "])
def test_forbidden_character_is_named_with_its_position(letter: str) -> None:
    code = VALID[:6] + letter + VALID[7:]
    exc = problem(code)
    assert exc.code == "character"
    assert exc.position == 7
    assert f"'{letter}' at position 7 is not allowed" in exc.message.render("en")
    assert f"第7位的字符“{letter}”不允许使用" in exc.message.render("zh-hans")


def test_unknown_authority() -> None:
    exc = problem("B" + VALID[1:])
    assert (exc.code, exc.position) == ("authority", 1)
    assert "registration authority code 'B' at position 1 does not exist" in exc.message.render("en")


@pytest.mark.parametrize(
    ("authority", "entity_type"), [("9", "9"), ("9", "4"), ("5", "4"), ("Y", "2"), ("1", "A")]
)
def test_entity_type_not_used_by_the_authority(authority: str, entity_type: str) -> None:
    exc = problem(authority + entity_type + VALID[2:])
    assert (exc.code, exc.position) == ("entity_type", 2)
    en = exc.message.render("en")
    assert (
        f"entity type code '{entity_type}' at position 2 is not used by registration authority '{authority}'"
        in en
    )
    assert ", ".join(AUTHORITIES[authority].types) in en


def test_the_authority_table_of_gb_32100() -> None:
    expected = {
        "1": "1239",
        "2": "19",
        "3": "123459",
        "4": "19",
        "5": "1239",
        "6": "129",
        "7": "129",
        "8": "19",
        "9": "123",
        "A": "19",
        "N": "1239",
        "Y": "1",
    }
    assert {code: "".join(a.types) for code, a in AUTHORITIES.items()} == expected


def test_division_must_be_digits() -> None:
    exc = problem("9144A3001922038216")
    assert (exc.code, exc.position) == ("division", 5)
    assert "Position 5 ('A') must be a digit" in exc.message.render("en")


@pytest.mark.parametrize("prefix", ["00", "16", "20", "38", "47", "60", "72", "83", "99", "10"])
def test_division_needs_a_province_level_prefix(prefix: str) -> None:
    # 10 is allowed only as the national code 100000.
    exc = problem("91" + prefix + "0300" + VALID[8:])
    assert (exc.code, exc.position) == ("division", 3)
    assert f"'{prefix}' is not a province-level code" in exc.message.render("en")


def test_province_prefixes() -> None:
    assert len(PROVINCE_PREFIXES) == 34  # 31 mainland + Taiwan, Hong Kong, Macao
    assert {
        "11",
        "15",
        "21",
        "23",
        "31",
        "37",
        "41",
        "46",
        "50",
        "54",
        "61",
        "65",
        "71",
        "81",
        "82",
    } <= PROVINCE_PREFIXES


def test_organisation_code_check_character_must_be_a_digit_or_x() -> None:
    exc = problem(VALID[:16] + "A" + VALID[17])
    assert (exc.code, exc.position) == ("org_check", 17)
    assert "must be a digit or X, not 'A'" in exc.message.render("en")


def test_organisation_code_check_character_expected_vs_found() -> None:
    exc = problem(VALID[:16] + "2" + VALID[17])
    assert (exc.code, exc.position) == ("org_check", 17)
    assert exc.message.render("en") == (
        "The organisation code check character at position 17 should be '1' but is '2': check positions 9-17."
    )
    assert exc.message.render("zh-hans") == "第17位组织机构代码校验码应为“1”，实际为“2”：请核对第9-17位。"


def test_final_check_character_expected_vs_found() -> None:
    exc = problem(VALID[:17] + "7")
    assert (exc.code, exc.position) == ("check_digit", 18)
    assert "position 18 should be '6' but is '7'" in exc.message.render("en")
    assert "第18位校验码应为“6”，实际为“7”" in exc.message.render("zh-hans")


def test_message_follows_the_active_django_language() -> None:
    with translation.override("en"):
        assert str(problem("9")).startswith("A unified social credit code has 18 characters")
    with translation.override("zh-hans"):
        assert str(problem("9")).startswith("统一社会信用代码应为18位")


def test_invalid_identifier_is_a_value_error() -> None:
    assert issubclass(InvalidIdentifier, ValueError)


def test_check_character_algorithms_on_a_known_code() -> None:
    # 华为: organisation code 19220382-1, final character 6.
    assert organisation_code_check("19220382") == "1"
    assert uscc_check_character(VALID[:17]) == "6"
    # Tencent's organisation code 71526726-X exercises the 10 -> X case.
    assert organisation_code_check("71526726") == "X"


def test_not_a_string_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        check_uscc(914403001922038216)  # type: ignore[arg-type]


def test_make_uscc_builds_the_real_code() -> None:
    assert make_uscc("9", "1", "440300", "19220382") == VALID
    assert make_uscc("1", "2", "100000", "40000062") == "12100000400000624D"


def test_make_uscc_refuses_bad_parts() -> None:
    with pytest.raises(InvalidIdentifier) as info:
        make_uscc("9", "1", "440300", "1922038")
    assert info.value.code == "org_body"
    with pytest.raises(InvalidIdentifier) as info:
        make_uscc("9", "9", "440300", "19220382")
    assert info.value.code == "entity_type"
    with pytest.raises(InvalidIdentifier) as info:
        make_uscc("9", "1", "990300", "19220382")
    assert info.value.code == "division"
    with pytest.raises(InvalidIdentifier) as info:
        make_uscc("9", "1", "44\u0660300", "19220382")  # an Arabic-Indic zero is not a digit here
    assert (info.value.code, info.value.position) == ("division", 5)


def test_parse_uscc_names_the_parts() -> None:
    parts = parse_uscc(" 12100000400000624d ")
    assert parts.code == "12100000400000624D"
    assert (parts.authority, parts.entity_type, parts.division) == ("1", "2", "100000")
    assert parts.authority_name.render("zh-hans") == "机构编制"
    assert parts.entity_type_name.render("zh-hans") == "事业单位"
    assert parts.entity_type_name.render("en") == "public institution"
    assert parts.organisation_code == "40000062-4"


# Property tests: every code make_uscc builds passes; every single-character change is caught.
_pairs = [(a, t) for a, authority in AUTHORITIES.items() for t in authority.types]
_divisions = st.one_of(
    st.just("100000"),
    st.builds(
        lambda p, rest: p + rest,
        st.sampled_from(sorted(PROVINCE_PREFIXES)),
        st.text(alphabet="0123456789", min_size=4, max_size=4),
    ),
)
_bodies = st.text(alphabet=CHARSET, min_size=8, max_size=8)
valid_codes = st.builds(
    lambda pair, d, b: make_uscc(pair[0], pair[1], d, b), st.sampled_from(_pairs), _divisions, _bodies
)


@given(valid_codes)
def test_every_generated_code_passes(code: str) -> None:
    assert check_uscc(code) == code
    assert check_uscc(code.lower()) == code


@given(valid_codes, st.integers(min_value=0, max_value=17), st.sampled_from(CHARSET + "IOSVZ-"))
def test_changing_any_single_character_is_caught(code: str, index: int, replacement: str) -> None:
    changed = code[:index] + replacement + code[index + 1 :]
    if changed == code:
        return
    with pytest.raises(InvalidIdentifier):
        check_uscc(changed)


# Django fields.
def test_model_field_normalises_and_validates() -> None:
    field = USCCField()
    assert field.max_length == 18
    assert field.clean(" 9144030071526726xg ", None) == "9144030071526726XG"
    with translation.override("en"), pytest.raises(ValidationError) as info:
        field.clean(VALID[:17] + "7", None)
    assert info.value.messages == [
        "The check character at position 18 should be '6' but is '7': check the code for a typing error."
    ]
    assert info.value.error_list[0].code == "uscc_check_digit"


def test_model_field_deconstructs_without_max_length() -> None:
    _name, path, _args, kwargs = USCCField(unique=True).deconstruct()
    assert path == "yingshang.kernel.fields.USCCField"
    assert "max_length" not in kwargs
    assert kwargs["unique"] is True


def test_model_field_offers_the_form_field() -> None:
    assert isinstance(USCCField().formfield(), USCCFormField)


class OrganisationForm(forms.Form):
    uscc = USCCFormField()


def test_form_field_accepts_and_normalises() -> None:
    form = OrganisationForm(data={"uscc": " ９１４４０３００１９２２０３８２１６ "})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["uscc"] == VALID


def test_form_field_error_in_chinese_by_default() -> None:
    with translation.override("zh-hans"):
        form = OrganisationForm(data={"uscc": "91440300192203821"})
        assert not form.is_valid()
        assert form.errors["uscc"] == ["统一社会信用代码应为18位，实际为17位。"]


def test_form_field_is_required_by_default() -> None:
    form = OrganisationForm(data={"uscc": ""})
    assert not form.is_valid()
    assert form.errors.as_data()["uscc"][0].code == "required"


# Pydantic type.
def test_pydantic_type_normalises() -> None:
    assert TypeAdapter(USCC).validate_python(" 9144030071526726xg") == "9144030071526726XG"


def test_pydantic_type_error_is_the_exact_message() -> None:
    with translation.override("en"), pytest.raises(PydanticValidationError) as info:
        TypeAdapter(USCC).validate_python("9144O3001922038216")
    error = info.value.errors()[0]
    assert error["type"] == "uscc_character"
    assert error["msg"].startswith("The character 'O' at position 5 is not allowed")
    assert error["ctx"]["position"] == 5


# API.
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_api_returns_the_normalised_code(client: Client, language: str) -> None:
    response = client.get("/api/v1/kernel/uscc/12100000400000624d", headers={"accept-language": language})
    assert response.status_code == 200
    body = response.json()
    assert body["uscc"] == "12100000400000624D"
    assert body["organisation_code"] == "40000062-4"
    assert body["entity_type_name"] == ("public institution" if language == "en" else "事业单位")


@pytest.mark.parametrize(
    ("language", "message"),
    [
        (
            "en",
            "The check character at position 18 should be '6' but is '7': check the code for a typing error.",
        ),
        ("zh-hans", "第18位校验码应为“6”，实际为“7”：请核对代码是否抄错。"),
    ],
)
def test_api_invalid_code_is_a_problem_document_in_the_request_language(
    client: Client, language: str, message: str
) -> None:
    response = client.get(f"/api/v1/kernel/uscc/{VALID[:17]}7", headers={"accept-language": language})
    assert response.status_code == 422
    assert response["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 422
    assert body["code"] == "validation_error"
    assert body["errors"] == [{"field": "path.code", "code": "uscc_check_digit", "message": message}]


def test_api_wrong_length_in_english(client: Client) -> None:
    response = client.get("/api/v1/kernel/uscc/91440300", headers={"accept-language": "en"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["message"] == (
        "A unified social credit code has 18 characters; 8 were given."
    )
