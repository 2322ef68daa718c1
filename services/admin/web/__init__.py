"""The dashboard: server-rendered pages (jinja2), a little JavaScript of our
own, no build step."""
