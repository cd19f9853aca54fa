"""Listing pages read with CSS selectors: items, absolute links, lenient dates, skipped items."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from digest.ingest.listing import ListingRule, parse_date, parse_listing

LISTINGS = Path(__file__).parent / "data" / "pages" / "listings"
WHITEPAPERS = ListingRule(item="div.wp-card", title=".wp-title", date=".wp-meta", summary=".wp-desc")
SOLUTIONS = ListingRule(item="li.result", title="h4.card-title", link="a.card-link", date=".updated",
                        summary=".card-text", date_format="%d/%m/%Y")


def test_whitepaper_directory_items_in_page_order_with_absolute_links():
    listing = parse_listing((LISTINGS / "whitepapers.html").read_bytes(),
                            "https://aws.example.com/whitepapers/index.html", WHITEPAPERS)
    assert [item.title for item in listing.items] == [
        "Serverless Application Lens", "Security Pillar", "Machine Learning Operations on AWS",
        "Hybrid Cloud Networking"]
    assert [item.url for item in listing.items] == [
        "https://aws.example.com/whitepapers/serverless-lens.pdf?did=wp_card&trk=wp_card",
        "https://aws.example.com/whitepapers/latest/security-pillar/welcome.html",
        "https://d1.awsstatic.example/whitepapers/ml-ops.pdf",
        "https://aws.example.com/whitepapers/hybrid-networking.pdf"]
    assert [item.published for item in listing.items] == [
        date(2018, 1, 5), date(2018, 1, 18), date(2017, 12, 12), None]
    assert listing.items[1].summary == ("How to protect information, systems and assets while "
                                        "delivering business value.")
    assert listing.items[2].summary == ""
    # "coming soon" has no link, the cost paper's link has no text
    assert listing.skipped == 2


def test_solutions_library_with_link_selector_and_a_page_specific_date_format():
    listing = parse_listing((LISTINGS / "solutions.html").read_text(encoding="utf-8"),
                            "https://aws.example.com/solutions/browse/", SOLUTIONS)
    assert [(item.title, item.url, item.published) for item in listing.items] == [
        ("Real-Time IoT Device Monitoring",
         "https://aws.example.com/solutions/implementations/real-time-iot-device-monitoring/?nc1=f_ls",
         date(2018, 1, 23)),
        ("Media Analysis Solution", "https://aws.example.com/solutions/implementations/media-analysis/",
         date(2018, 1, 9)),
        ("Centralised Log Analytics", "https://partners.example.net/solutions/log-analytics", date(2017, 12, 31)),
    ]
    assert listing.items[0].summary.startswith("Collect, process and visualise device metrics")
    assert listing.skipped == 1  # the javascript: link


def test_a_selector_matching_nothing_gives_an_empty_listing():
    listing = parse_listing("<html><body><p>Nothing here</p></body></html>", "https://x.example/",
                            ListingRule(item=".card", title="h3"))
    assert listing.items == () and listing.skipped == 0


@pytest.mark.parametrize("text, expected", [
    ("2018-01-05", date(2018, 1, 5)),
    ("2018-01-05T10:00:00Z", date(2018, 1, 5)),
    ("Published: January 5, 2018 | 12 pages", date(2018, 1, 5)),
    ("Jan. 5 2018", date(2018, 1, 5)),
    ("Sept 30, 2017", date(2017, 9, 30)),
    ("05 Jan 2018", date(2018, 1, 5)),
    ("5th January 2018", date(2018, 1, 5)),
    ("2018/1/5", date(2018, 1, 5)),
    ("Updated February 2018", date(2018, 2, 1)),
    ("February 30, 2018", None),
    ("Smarch 5, 2018", None),
    ("12 pages", None),
    ("", None),
])
def test_dates_are_read_leniently(text, expected):
    assert parse_date(text) == expected
