"""Integration tests for the shipments API, against a real database."""


def test_list_shipments(client):
    # listShipments
    assert client.get("/shipments").status_code == 200


def test_create_shipment(client):
    # createShipment
    assert client.post("/shipments", json={"weight_grams": 1200}).status_code == 201
