"""The desk console's pieces that need no server: the route diagram's stops, the list's filters, the
SSE framing, and the templates' escaping of what feeds and lists wrote."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi import HTTPException

from services.console.filters import alert_filters
from services.console.routers.stream import event
from services.console.views import route_stops, templates
from services.shared.codes.ports import port_directory
from services.shared.i18n import Translator
from services.shared.models.desk import AlertState, AlertStatus, DeskAlert
from tests.support.alerts import Notifier, a_match, alerts, manifest

ETA = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)


def test_the_route_runs_from_loading_to_discharge_with_the_last_and_next_ports_in_place() -> None:
    voyage = manifest(route=("COCTG", "PABLB", "MXZLO")).model_copy(
        update={"last_port": "PABLB", "next_port": "MXZLO", "eta": ETA}
    )
    stops = route_stops(voyage, port_directory())
    assert [(stop.code, stop.roles) for stop in stops] == [
        ("COCTG", ("loading",)),
        ("PABLB", ("last_port",)),
        ("MXZLO", ("discharge", "next_port")),
    ]
    assert stops[2].eta == ETA and stops[0].name  # named from the bundled port directory
    assert [stop.eta for stop in stops[:2]] == [None, None]


def test_a_last_or_next_port_the_route_does_not_name_is_placed_between_them() -> None:
    voyage = manifest(route=("COCTG", "MXZLO")).model_copy(update={"last_port": "PAMIT", "next_port": "MXZLO"})
    assert [stop.code for stop in route_stops(voyage, port_directory())] == ["COCTG", "PAMIT", "MXZLO"]
    alone = manifest(route=()).model_copy(update={"next_port": "USHOU"})
    assert [(stop.code, stop.roles) for stop in route_stops(alone, port_directory())] == [("USHOU", ("next_port",))]


def test_filters_read_the_cli_words_and_a_forms_empty_choices_are_no_filter() -> None:
    filters = alert_filters(
        state=["open"],
        severity=["critical,high"],
        programme=[""],
        vessel=" 9187655 ",
        entry="",
        since="2h",
        until=None,
        limit=20,
    )
    query = filters.query
    assert list(query.states) == [AlertState.NEW, AlertState.ACKNOWLEDGED, AlertState.UNDER_INVESTIGATION]
    assert [severity.value for severity in query.severities] == ["critical", "high"]
    assert (list(query.programmes), query.vessel, query.entry, query.limit) == ([], "9187655", None, 20)
    assert query.since is not None and query.until is None
    assert filters.given == {"state": "open", "severity": "critical,high", "vessel": "9187655", "since": "2h"}
    assert filters.encoded() == "state=open&severity=critical%2Chigh&vessel=9187655&since=2h"


@pytest.mark.parametrize("bad", [{"state": ["lost"]}, {"severity": ["urgent"]}, {"since": "yesterday-ish"}])
def test_a_filter_that_means_nothing_is_refused_with_422(bad: dict[str, object]) -> None:
    with pytest.raises(HTTPException) as refused:
        alert_filters(**bad)  # type: ignore[arg-type]
    assert refused.value.status_code == 422


def test_an_sse_event_carries_every_line_of_its_data() -> None:
    assert event("alerts", "<tr>\n</tr>") == "event: alerts\ndata: <tr>\ndata: </tr>\n\n"


async def test_the_rows_show_what_feeds_and_lists_wrote_as_text_never_as_markup() -> None:
    hostile = a_match("test:1", owner="MX", name="<script>alert(1)</script>", on=manifest("M-<b>1</b>"))
    [alert] = alerts(await Notifier().batch(hostile), desk="MX")
    view = DeskAlert(alert=alert, status=AlertStatus())
    html = templates.get_template("rows.html").render(views=[view], translate=Translator("es"), desk="mx")
    assert "<script>" not in html and "&lt;script&gt;" in html and "M-&lt;b&gt;1&lt;/b&gt;" in html
    assert "nueva" in html  # the state in the desk's language
