"""Write the sample's stand-in documents: a whitepaper PDF and two repositories' READMEs and diagrams.

The January sample links to a real whitepaper and two real repositories; the book carries a
brief of the one and a page for each of the others. These stand-ins, written for the sample
(not copies of the real documents), let it build offline from ``[links] snapshots``:

    python scripts/sample_documents.py assets/sample-documents

The PDF is drawn with raw PDF operators through pypdf: a cover, a page of notices, a table of
contents, an abstract, a figure page of boxes and arrows, and chapters, with an outline.
"""

from __future__ import annotations

import io
import sys
import textwrap
from pathlib import Path

from pypdf import PageObject, PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

PAPERS = {
    "january": "d1.awsstatic.com/whitepapers/serverless-architectures-with-aws-lambda.pdf",
    "february": "d1.awsstatic.com/whitepapers/AWS_Cloud_Best_Practices.pdf",
}
WIDTH, HEIGHT = 612, 792


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


class Page:
    def __init__(self) -> None:
        self.ops: list[str] = []
        self.y = HEIGHT - 90

    def text(self, text: str, size: float = 10.5, x: float = 72, gap: float = 1.45, font: str = "F1") -> None:
        self.ops.append(f"BT /{font} {size} Tf {x} {self.y:.1f} Td ({_escape(text)}) Tj ET")
        self.y -= size * gap

    def paragraph(self, text: str, size: float = 10.5) -> None:
        for line in textwrap.wrap(text, 92):
            self.text(line, size)
        self.y -= size

    def heading(self, text: str, size: float = 15) -> None:
        self.y -= 6
        self.text(text, size, font="F2")
        self.y -= 4

    def box(self, x: float, y: float, w: float, h: float, label: str) -> None:
        self.ops.append(f"0.2 w {x} {y} {w} {h} re S")
        self.ops.append(f"BT /F1 9 Tf {x + 8} {y + h / 2 - 3} Td ({_escape(label)}) Tj ET")

    def arrow(self, x1: float, y1: float, x2: float, y2: float) -> None:
        self.ops.append(f"0.8 w {x1} {y1} m {x2} {y2} l S")
        self.ops.append(f"{x2} {y2} m {x2 - 6} {y2 + 3} l {x2 - 6} {y2 - 3} l h f")


def _figure(page: Page) -> None:
    """A landscape drawing of a serverless web application, on a page of its own."""
    page.heading("Figure 1: A serverless web application")
    tiers = [("Browser", 560), ("API Gateway", 470), ("Lambda", 380), ("DynamoDB", 290)]
    for label, y in tiers:
        page.box(90, y, 110, 50, label)
    for (_, upper), (_, lower) in zip(tiers, tiers[1:]):
        page.arrow(145, upper, 145, lower + 50)
    for index, (label, y) in enumerate([("S3 static site", 560), ("Cognito", 470), ("CloudWatch", 380),
                                        ("SQS queue", 290)]):
        page.box(330, y, 130, 50, label)
        page.arrow(200, y + 25 - index, 330, y + 25)
    for x in range(80, 540, 20):  # the dotted boundary of the account
        page.ops.append(f"0.5 w {x} 270 m {x + 10} 270 l S {x} 630 m {x + 10} 630 l S")
    page.y = 240
    page.text("Requests flow from the browser through the API to functions and the table.", 9)


def whitepaper() -> bytes:
    pages: list[Page] = []
    cover = Page()
    cover.y = 520
    cover.text("Serverless Architectures", 30, font="F2", gap=1.3)
    cover.text("with Functions as a Service", 22, gap=1.6)
    cover.text("Overview and Best Practices", 16)
    cover.text("Sample stand-in, November 2017", 11)
    pages.append(cover)

    notices = Page()
    notices.heading("Notices")
    notices.paragraph("This document is a stand-in written for the Architecture Monthly sample. It is provided "
                      "for informational purposes only, as is, without warranty of any kind. Copyright 2017 the "
                      "sample's authors. All rights reserved. Product names are trademarks of their owners.")
    notices.paragraph("Customers are responsible for making their own independent assessment of the information "
                      "in this document; the license of the sample applies.")
    pages.append(notices)

    contents = Page()
    contents.heading("Contents")
    for title, number in [("Abstract", 4), ("1 Introduction", 4), ("2 Compute with functions", 6),
                          ("3 Best practices", 7), ("4 Conclusion", 8)]:
        contents.text(f"{title} {'.' * (60 - len(title))} {number}", 11)
    pages.append(contents)

    abstract = Page()
    abstract.heading("Abstract")
    abstract.paragraph("Serverless applications let a team ship features without running servers: the platform "
                       "starts code when an event arrives, scales it with the load and bills only for the time it "
                       "runs. This paper explains how such applications are designed, deployed and operated.")
    abstract.paragraph("It describes the building blocks (functions, managed APIs, queues and tables), the patterns "
                       "that combine them, and the practices that keep them fast, secure and inexpensive as they "
                       "grow from a prototype to a production workload.")
    abstract.heading("1 Introduction")
    abstract.paragraph("Most teams begin with a web application and a database. Moving such an application to "
                       "functions changes how it is deployed, how it is observed and how it fails; the chapters "
                       "that follow take each change in turn.")
    pages.append(abstract)

    figure = Page()
    _figure(figure)
    pages.append(figure)

    for title, text in [
        ("2 Compute with functions", "A function is a small unit of code with one job. It receives an event, "
         "reads or writes state in a managed service, and returns. Cold starts, memory size and concurrency "
         "limits shape how functions are written; keeping dependencies small and connections reused keeps "
         "them fast."),
        ("3 Best practices", "Give each function the least privilege it needs, keep configuration outside the "
         "code, make handlers idempotent because events may arrive twice, and send failures to a dead-letter "
         "queue where an operator can see them. Measure before tuning: the platform's metrics show where time "
         "goes."),
        ("4 Conclusion", "Serverless architectures trade control of servers for speed of delivery. Teams that "
         "design for events, failures and limits from the start get applications that scale without "
         "operations work and cost nothing when idle."),
    ]:
        page = Page()
        page.heading(title)
        for _ in range(3):
            page.paragraph(text)
        pages.append(page)
    return _write(pages, [("Abstract", 3), ("1 Introduction", 3), ("2 Compute with functions", 5),
                          ("3 Best practices", 6), ("4 Conclusion", 7)],
                  {"/Title": "Serverless Architectures with Functions as a Service",
                   "/Author": "Ana Example; Ben Sample", "/CreationDate": "D:20171120000000Z"})


def practices() -> bytes:
    """February's paper: a cover and numbered chapters, no outline (its headings are the contents)."""
    cover = Page()
    cover.y = 520
    cover.text("Architecting for the Cloud", 30, font="F2", gap=1.5)
    cover.text("Best Practices (sample stand-in)", 16)
    pages = [cover]
    chapters = [
        ("1 Introduction", "Moving to the cloud changes what good architecture means: capacity is no longer "
         "bought ahead, failures are expected rather than avoided, and every component can be replaced by an "
         "API call. This paper gathers the principles that follow from those changes."),
        ("2 Design for failure", "Assume that any component can fail at any time. Spread work over several "
         "independent locations, keep state out of the servers that come and go, and test recovery as often "
         "as deployment."),
        ("3 Decouple components", "Queues and events let parts of a system slow down or stop without stopping "
         "the others. A component that only knows a queue can be scaled, replaced or rewritten on its own."),
        ("4 Think in elasticity", "Scale out with the load and back in when it passes, so that the system costs "
         "what it is used. Automation is the precondition: nothing is configured by hand."),
    ]
    for title, text in chapters:
        page = Page()
        page.heading(title)
        page.paragraph(text)
        pages.append(page)
    return _write(pages, [], {"/Title": "Architecting for the Cloud: Best Practices",
                              "/Author": "Carla Placeholder", "/CreationDate": "D:20180205000000Z"})


def _write(pages: list[Page], outline: list[tuple[str, int]], metadata: dict[str, str]) -> bytes:
    writer = PdfWriter()
    fonts = DictionaryObject({
        NameObject(f"/F{index}"): writer._add_object(DictionaryObject({
            NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject(base)}))
        for index, base in ((1, "/Helvetica"), (2, "/Helvetica-Bold"))})
    for page in pages:
        blank = PageObject.create_blank_page(width=WIDTH, height=HEIGHT)
        blank[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): fonts})
        stream = DecodedStreamObject()
        stream.set_data("\n".join(page.ops).encode("latin-1"))
        blank[NameObject("/Contents")] = writer._add_object(stream.flate_encode())
        writer.add_page(blank)
    for title, number in outline:
        writer.add_outline_item(title=title, page_number=number)
    writer.add_metadata({**metadata, "/Producer": "digest sample_documents.py"})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def main(folder: Path) -> None:
    for month, write in (("january", whitepaper), ("february", practices)):
        target = folder / PAPERS[month]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(write())
        print(f"wrote {target}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
