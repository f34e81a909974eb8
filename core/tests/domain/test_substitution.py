import pytest

from orderhub.core.lifecycle import quantity_problems
from orderhub.core.model import Item
from orderhub.core.substitution import SubstitutionPolicy, substitute_line

ITEMS = {
    "MUG-RED": Item(
        sku="MUG-RED", name="Red mug", substitutes=["MUG-BLUE", "MUG-OLD", "MUG-GREEN"]
    ),
    "MUG-BLUE": Item(sku="MUG-BLUE", name="Blue mug"),
    "MUG-GREEN": Item(sku="MUG-GREEN", name="Green mug"),
    "MUG-OLD": Item(sku="MUG-OLD", name="Old mug", active=False),
    "PLATE": Item(sku="PLATE", name="Plate"),
}


@pytest.fixture
def mug_order(make_order, make_line):
    return make_order(
        make_line("MUG-RED", 3, id="mug", price="12.00", quantity_backordered=3),
        make_line("PLATE", 1, id="plate", quantity_allocated=1),
    )


def run(order, short=3, mode="propose", available=None, **policy):
    return substitute_line(
        order,
        "mug",
        short,
        items=ITEMS,
        available=available
        if available is not None
        else {"MUG-BLUE": 1, "MUG-GREEN": 5, "MUG-OLD": 9},
        policy=SubstitutionPolicy(mode=mode, **policy),
    )


def test_propose_lists_active_substitutes_with_enough_stock_in_configured_order(mug_order):
    outcome = run(mug_order)
    assert outcome.action == "proposed"
    assert [o.sku for o in outcome.options] == ["MUG-GREEN"]
    assert (
        outcome.description
        == "MUG-RED is short by 3; substitutes in stock: MUG-GREEN (5 available)"
    )
    assert outcome.lines == []
    assert outcome.detail == {
        "line_id": "mug",
        "sku": "MUG-RED",
        "short": 3,
        "action": "proposed",
        "options": ["MUG-GREEN"],
        "substitute": None,
    }


def test_partial_substitutes_when_whole_quantity_not_required(mug_order):
    outcome = run(mug_order, whole_quantity=False)
    assert [(o.sku, o.available) for o in outcome.options] == [("MUG-BLUE", 1), ("MUG-GREEN", 5)]


def test_apply_replaces_short_units_and_keeps_the_price(mug_order):
    outcome = run(mug_order, mode="apply")
    assert outcome.action == "applied"
    assert outcome.description == (
        "3 × MUG-RED replaced by MUG-GREEN (Green mug) at the original price, "
        "as this channel's policy allows"
    )
    original, added, plate = outcome.lines
    assert (original.sku, original.quantity, original.quantity_cancelled) == ("MUG-RED", 3, 3)
    assert original.quantity_backordered == 0
    assert (added.sku, added.name, added.quantity, added.id) == ("MUG-GREEN", "Green mug", 3, "")
    assert added.unit_price == original.unit_price
    assert plate is mug_order.lines[1]
    assert mug_order.lines[0].quantity_cancelled == 0  # the input order is untouched
    assert all(quantity_problems(line) == [] for line in outcome.lines)
    assert outcome.detail["substitute"] == "MUG-GREEN"


def test_apply_part_of_a_line(mug_order):
    outcome = run(mug_order, short=2, mode="apply", available={"MUG-BLUE": 2})
    original, added, _ = outcome.lines
    assert (original.quantity_cancelled, original.quantity_backordered) == (2, 1)
    assert (added.sku, added.quantity) == ("MUG-BLUE", 2)


@pytest.mark.parametrize(
    ("kwargs", "description"),
    [
        ({"mode": "off"}, "MUG-RED is short by 3; substitutes are off here"),
        (
            {"available": {"MUG-BLUE": 2}},
            "MUG-RED is short by 3; none of its substitutes (MUG-BLUE, MUG-OLD, MUG-GREEN) has "
            "enough stock",
        ),
    ],
)
def test_nothing_to_substitute(mug_order, kwargs, description):
    outcome = run(mug_order, **kwargs)
    assert outcome.action == "none"
    assert outcome.description == description
    assert outcome.lines == []


def test_item_without_substitutes_and_bad_input(make_order, make_line):
    order = make_order(make_line("PLATE", 2, id="mug"))
    assert (
        run(order, short=1).description == "PLATE is short by 1; it has no configured substitutes"
    )
    with pytest.raises(ValueError, match="short quantity 5"):
        run(order, short=5)
    with pytest.raises(ValueError, match="no line 'nope'"):
        substitute_line(order, "nope", 1, items=ITEMS, available={}, policy=SubstitutionPolicy())
