"""The panel's start page and `/health`: a model that did not load when the appliance started is shown to the
owner, and named by its config key to monitoring (`/health` is open to the LAN: no paths), until a restart with
the file fixed."""

from __future__ import annotations

from appliance.call.engines import Engines
from appliance.call.unloaded import ModelFault
from appliance.service import Appliance
from tests.web.conftest import Act

FAULT = ("cannot load the language model at /opt/models/llm.gguf (config key models.llm): not a GGUF file. Until "
         "then, calls are answered from the business profile; restart the appliance once it is fixed.")


def test_the_start_page_shows_no_fault_when_every_model_loaded(act: Act) -> None:
    page = act("viewer").get("/")
    assert page.status_code == 200 and 'role="alert"' not in page.text
    assert act(None).get("/health").json()["faults"] == []


def test_a_model_that_did_not_load_is_on_the_start_page_and_in_health(act: Act, appliance: Appliance) -> None:
    appliance._engines = Engines(None, None, None, faults=(ModelFault("models.llm", FAULT),))  # type: ignore[arg-type]
    page = act("viewer").get("/")
    assert page.status_code == 200 and 'role="alert"' in page.text and "config key models.llm" in page.text
    health = act(None).get("/health").json()
    assert health["faults"] == ["models.llm"] and health["status"] == "starting"  # not answering calls here
