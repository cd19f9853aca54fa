"""Tree building against hostile HTML: CPU time to clean one fragment, by siblings and by depth.

    python -m bench.treebuild       # also the last section of `python -m bench`

Quadratic building (lxml's len() per appended text, drop_tag() per unwrapped element) took
21 s for 80,000 siblings; linear building grows with the input: twice the siblings, twice the time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from digest.content.text.sanitize import clean_html

SIBLINGS = (10_000, 20_000, 50_000, 100_000, 200_000)
DEPTHS = (1_000, 10_000, 50_000)
# Per sibling: kept formatting, an unknown tag (unwrapped), a link with an unsafe href (unwrapped).
SIBLING = '<b>x</b> <foo>y</foo> <a href="javascript:z()">z</a> '


@dataclass(frozen=True)
class Row:
    shape: str
    count: int
    input_kb: int
    seconds: float

    @property
    def microseconds_each(self) -> float:
        return self.seconds / self.count * 1e6


def siblings(count: int) -> str:
    return "<p>" + SIBLING * (count // 3) + "<b>x</b> " * (count % 3)


def nested(depth: int) -> str:
    return "".join(f"<div>w{i} " for i in range(depth)) + "</div>" * depth


def measure(sibling_counts=SIBLINGS, depths=DEPTHS) -> list[Row]:
    rows = []
    for shape, make, counts in (("siblings in one paragraph", siblings, sibling_counts),
                                ("nested <div>", nested, depths)):
        for count in counts:
            html = make(count)
            started = time.process_time()
            clean_html(html, base_url="https://blog.example/post", id_prefix="a")
            rows.append(Row(shape, count, len(html) // 1000, time.process_time() - started))
            print(f"  {shape}: {count} in {rows[-1].seconds:.2f} s", flush=True)
    return rows


def table(rows: list[Row]) -> str:
    lines = ["| shape | elements | input KB | CPU s | µs per element |", "|---|---|---|---|---|"]
    lines += [f"| {r.shape} | {r.count} | {r.input_kb} | {r.seconds:.2f} | {r.microseconds_each:.0f} |" for r in rows]
    return "\n".join(lines)


def markdown(rows: list[Row]) -> str:
    return "\n".join(["## Tree building (hostile HTML)", "",
                      "CPU time of `clean_html` on one fragment (parse, sanitize, normalize), by the number of "
                      "siblings in one paragraph (a third each kept, unwrapped and unlinked) and by nesting depth. "
                      "Linear: twice the elements, about twice the time.", "", table(rows), ""])


if __name__ == "__main__":
    print(table(measure()))
