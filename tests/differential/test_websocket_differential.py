"""Every websocket scenario through uvicorn and through the bridge: the client sees the same.

See ``ws_scenarios.py`` for the table and the one remaining difference (a page
never learns a denial's status); ``tests/browser/test_websocket_browser.py``
runs the same table through Chromium.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from .harness import APPS_DIR, BridgeServer, UvicornServer
from .scenarios import MOUNTS
from .ws_scenarios import WS_APPS, WS_SCENARIOS, WsScenario, through_bridge, through_uvicorn


@pytest.fixture(scope="module", params=[(app, mount) for app in WS_APPS for mount in MOUNTS], ids="-".join)
def pair(request: pytest.FixtureRequest) -> Iterator[tuple[UvicornServer, BridgeServer]]:
    app, mount = request.param
    sys.path.insert(0, str(APPS_DIR))
    uvicorn = UvicornServer(WS_APPS[app], MOUNTS[mount], {})
    bridge = BridgeServer(WS_APPS[app], MOUNTS[mount], uvicorn.base)
    yield uvicorn, bridge
    uvicorn.close()
    bridge.close()
    sys.path.remove(str(APPS_DIR))


@pytest.mark.parametrize("scenario", WS_SCENARIOS, ids=lambda s: s.id)
def test_websocket_answers_like_uvicorn(
    pair: tuple[UvicornServer, BridgeServer], scenario: WsScenario
) -> None:
    uvicorn, bridge = pair
    reference = through_uvicorn(uvicorn.base, scenario)
    bridged = bridge.run(through_bridge(bridge.bridge, uvicorn.base, bridge.root_path, scenario))
    assert bridged == reference
    # Each scenario shows what it is about (the table is not vacuous).
    if scenario.id == "denial":
        assert reference == [["denied", 403]]
    elif scenario.id == "subprotocol":
        assert reference[0] == ["open", "chat.v2"]
    elif scenario.id == "app-close-code":
        assert reference[-1] == ["close", 4321, "the app closes"]
    else:
        assert reference[-1] == ["close", 1000, "done"]
