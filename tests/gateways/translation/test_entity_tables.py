"""The gateways' entity tables (``common/gateway/entities.py``): one spec per
bus entity, holding the translation functions of its own record type."""

from __future__ import annotations

import inspect
import typing
from typing import Any

import pytest

from common.entities import ENTITIES, RECORD_TYPE, System
from common.gateway.entities import EntitySpec
from services.crm_gateway.modules import MODULES
from services.qbo_gateway.catalog import ENTITIES as QBO_ENTITIES

pytestmark = pytest.mark.unit

TABLES: dict[System, dict[str, Any]] = {"crm": MODULES, "qbo": QBO_ENTITIES}


@pytest.mark.parametrize("system", ["crm", "qbo"])
def test_every_bus_entity_has_one_spec_under_its_own_name(system: System) -> None:
    table = TABLES[system]
    assert sorted(table) == sorted(ENTITIES[system])
    for name, spec in table.items():
        assert isinstance(spec, EntitySpec)
        assert spec.bus == name


@pytest.mark.parametrize("system", ["crm", "qbo"])
def test_each_spec_translates_its_own_record_type(system: System) -> None:
    package = f"services.{system}_gateway.translation"
    for spec in TABLES[system].values():
        expected = RECORD_TYPE[(system, spec.bus)]
        read_hints = typing.get_type_hints(spec.read)
        assert inspect.isfunction(spec.read)
        assert spec.read.__module__.startswith(package)
        assert typing.get_args(read_hints["return"])[0] is expected, spec.bus
        write_hints = typing.get_type_hints(spec.write)
        first = next(iter(inspect.signature(spec.write).parameters))
        assert inspect.isfunction(spec.write)
        assert spec.write.__module__.startswith(package)
        assert write_hints[first] is expected, spec.bus
