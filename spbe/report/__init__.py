"""The final report: a data model assembled from the store (`model`), then rendered to HTML, Markdown,
XLSX and JSON (`render_*`), with charts drawn by matplotlib's Agg backend (`charts`). The service that
writes the files and records them is `spbe.services.report`."""
