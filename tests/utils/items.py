"""Small item catalogs built in code, for property tests of the value rules and the item planner."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from fractions import Fraction

from hypothesis import strategies as st

from spbe.frameworks import Framework, Indicator, Level, load_framework
from spbe.items.catalog import Catalog, Item, Role, generated_code
from spbe.items.externals import ExternalSpec
from spbe.items.model import ItemsModel
from spbe.items.provenance import Confidence, Provenance
from spbe.items.status import ItemState, ItemStatus, RevisionKind

SHIPPED = load_framework("pemdi-2026")
SHIPPED_MODEL = SHIPPED.items
SHIPPED_RULES = (SHIPPED_MODEL.value_rule, *SHIPPED_MODEL.value_rule_options)
TEST_SOURCE = Provenance("test", Confidence.LOW)

# Per indicator: per level 1..5, the roles of its items.
Shape = dict[int, list[list[Role]]]


def make_catalog(shape: Shape) -> Catalog:
    items = [
        Item(n, level, generated_code(n, level, k), "", role, f"butir {n}/{level}/{k}", TEST_SOURCE)
        for n, levels in sorted(shape.items())
        for level, roles in enumerate(levels, start=1)
        for k, role in enumerate(roles, start=1)
    ]
    return Catalog(tuple(items), ())


def sdi_like(indicator: int) -> ExternalSpec:
    """The shipped I5 mapping (1 + SDI/25) on another indicator number."""
    return dataclasses.replace(SHIPPED_MODEL.external(5), indicator=indicator)


def make_model(shape: Shape, *, externals: tuple[int, ...] = ()) -> ItemsModel:
    numbers = tuple(sorted({*shape, *externals}))
    return ItemsModel(
        catalog=make_catalog(shape),
        value_rule=SHIPPED_MODEL.value_rule,
        value_rule_options=SHIPPED_MODEL.value_rule_options,
        externals=tuple(sdi_like(n) for n in externals),
        conditions=(),
        indicator_numbers=numbers,
    )


def make_framework(shape: Shape, weights: dict[int, int], *, externals: tuple[int, ...] = ()) -> Framework:
    model = make_model(shape, externals=externals)
    return Framework(
        id="test-items-" + "-".join(f"{n}x{w}" for n, w in sorted(weights.items())),
        name="test",
        verified=True,
        indicators=tuple(
            Indicator(n, "", f"A{n % 2}", f"ind {n}", Decimal(weights[n])) for n in model.indicator_numbers
        ),
        levels=tuple(Level(lv, f"L{lv}", "") for lv in range(1, 6)),
        predicates=SHIPPED.predicates,
        evidence_model="items",
        items=model,
    )


ROLES = st.sampled_from([Role.UTAMA, Role.UNKNOWN, Role.PENDUKUNG])


@st.composite
def indicator_shapes(draw, *, max_per_level: int = 3) -> list[list[Role]]:
    """Five levels of 0..max items; level 1 always has a main item (the model requires it)."""
    levels = [draw(st.lists(ROLES, min_size=0, max_size=max_per_level)) for _ in range(5)]
    if not any(r.counts_as_main for r in levels[0]):
        levels[0].insert(draw(st.integers(0, len(levels[0]))), draw(st.sampled_from([Role.UTAMA, Role.UNKNOWN])))
    return levels


NOT_ACCEPTED = st.one_of(
    st.just(ItemState(ItemStatus.PROSES)),
    st.just(ItemState(ItemStatus.BELUM)),
    st.builds(ItemState, st.just(ItemStatus.REVISI), st.sampled_from([None, *RevisionKind])),
)
ENTERED = st.one_of(st.just(ItemState(ItemStatus.DITERIMA)), NOT_ACCEPTED)


def states_for(draw, catalog: Catalog, strategy=ENTERED) -> dict[str, ItemState]:
    return {i.code: draw(strategy) for i in catalog.items}


def breakpoints(widths: tuple[Fraction, ...]) -> list[Fraction]:
    """1, 1+w1, 1+w1+w2, ...: the value with 0..5 whole levels complete."""
    out = [Fraction(1)]
    for w in widths:
        out.append(out[-1] + w)
    return out
