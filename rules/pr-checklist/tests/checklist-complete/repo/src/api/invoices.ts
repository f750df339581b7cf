import { Router } from "express";

export const router = Router();
const pageSize = Number(process.env.PAGE_SIZE ?? 50);
