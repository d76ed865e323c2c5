"""A FastAPI form without python-multipart in the requirements: fails on import."""

from fastapi import FastAPI, Form

app = FastAPI()


@app.post("/items")
async def add(title: str = Form()) -> dict[str, str]:
    return {"title": title}
