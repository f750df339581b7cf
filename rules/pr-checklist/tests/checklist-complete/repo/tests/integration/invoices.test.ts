import request from "supertest";
import { app } from "../../src/app";

describe("invoices", () => {
  it("listInvoices returns the newest first", async () => {
    const res = await request(app).get("/invoices").expect(200);
    expect(res.body.items[0].id).toBe("inv_0042");
  });

  it("createInvoice computes the total", async () => {
    const res = await request(app).post("/invoices").send({ customer_id: "cus_7", currency: "EUR", lines: [] });
    expect(res.status).toBe(201);
  });

  // GET /invoices/:invoiceId
  it("returns one invoice", async () => {
    await request(app).get("/invoices/inv_0042").expect(200);
  });
});
