"""The book's images: fitted for e-ink within the size budget and cached; SVG drawings, the cover, QR codes."""
