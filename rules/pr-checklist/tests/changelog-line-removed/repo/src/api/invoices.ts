import { Router } from "express";
import { invoices } from "../services/invoices";

export const router = Router();

router.get("/invoices", async (req, res) =>
  res.json(await invoices.list(req.user, { cursor: req.query.cursor, limit: 50 })));
