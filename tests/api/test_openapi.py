import re

def test_the_openapi_document_lists_every_endpoint_with_the_one_error_body(client, app):
    spec = client.get("/openapi.json").json
    assert spec["info"]["title"] == "Loyalty programme API"
    routes = {re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule) for rule in app.url_map.iter_rules()
              # pages and the Prometheus text format, not the JSON API
              if not rule.rule.startswith(("/docs", "/openapi.json", "/static", "/portal", "/console", "/metrics"))}
    assert routes == set(spec["paths"])
    assert set(spec["components"]["schemas"]["Error"]["properties"]) == {
        "code", "status", "error", "message", "errors"}


def test_the_interactive_docs_are_served_without_any_outside_host(client):
    page = client.get("/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/docs/assets/swagger-ui-bundle.js" in html and "http" not in html.replace("http-equiv", "")
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui-standalone-preset.js"):
        with client.get(f"/docs/assets/{asset}") as response:  # a file stream: close it
            assert response.status_code == 200


def test_shares_and_multipliers_are_documented_as_the_text_the_answers_carry(client, staff_headers):
    spec = client.get("/openapi.json").json
    documented = {name: schema["properties"]["holdout_share"]["type"]
                  for name, schema in spec["components"]["schemas"].items() if "holdout_share" in schema["properties"]}
    assert documented and set(documented.values()) == {"string"}
    answer = client.post("/v1/staff/campaigns", headers=staff_headers("marketer"),
                         json={"code": "spring", "name": "Spring", "starts_at": "2026-03-01T00:00:00Z",
                               "ends_at": "2026-04-01T00:00:00Z"})
    assert answer.status_code == 201 and answer.json["holdout_share"] == "0"
