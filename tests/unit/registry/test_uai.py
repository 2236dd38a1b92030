import pytest
from hypothesis import given
from hypothesis import strategies as st

from fleet.registry.uai import LETTERS, UaiError, check_letter, check_uai, make_uai

REGION = [18, 28, 36, 37, 41, 45]


def test_known_valid_uai():
    assert check_uai("0450050K", REGION) == "0450050K"


def test_wrong_letter_names_the_expected_one():
    with pytest.raises(UaiError, match="expected letter is K"):
        check_uai("0450050A", REGION)


@pytest.mark.parametrize("bad", ["450050K", "04500500K", "0450050k", "045005XK", "", "0450050"])
def test_malformed(bad):
    with pytest.raises(UaiError, match="not a UAI"):
        check_uai(bad, REGION)


def test_department_outside_region():
    uai = make_uai(75, 50)
    with pytest.raises(UaiError, match="not a department of this region.*045"):
        check_uai(uai, REGION)


def test_letters_skip_i_o_q():
    assert not set("IOQ") & set(LETTERS)
    assert len(LETTERS) == 23


@given(st.sampled_from(REGION), st.integers(0, 9999))
def test_made_uais_check_and_carry_their_department(dept, serial):
    uai = make_uai(dept, serial)
    assert check_uai(uai, REGION) == uai
    assert int(uai[1:3]) == dept
    assert uai[7] == check_letter(uai[:7])
