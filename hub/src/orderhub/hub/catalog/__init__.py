"""Items (SKUs): the catalogue every channel and location maps to."""
