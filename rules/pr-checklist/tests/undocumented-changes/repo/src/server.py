import os

PORT = int(os.environ.get("PORT", "3000"))
