import { Router } from "express";
import { invoices } from "../services/invoices";

export const router = Router();

router.get("/invoices", async (req, res) => res.json(await invoices.list(req.user, req.query.cursor)));
router.post("/invoices", async (req, res) => res.status(201).json(await invoices.create(req.user, req.body)));
router.get("/invoices/:invoiceId", async (req, res) => res.json(await invoices.get(req.user, req.params.invoiceId)));
router.delete("/invoices/:invoiceId", async (req, res) => {
  await invoices.void(req.user, req.params.invoiceId);
  res.status(204).end();
});
