"""A generated month of blog posts as real sites serve them: feeds, messy pages, images.

Everything is deterministic (seeded), held in memory as path -> (body, content type) and
served by bench.serve. Each feed exists twice: with the full article in the feed
(``/full/<feed>.xml``) and with a summary only (``/summary/<feed>.xml``), whose readers
must fetch the article page (``/<feed>/<n>.html``).

Besides its ``images_per_article`` main images an article carries what the web adds
(``WEB_EXTRAS``): every second one a dead image link (a 404 on the blog's host, a host
whose name does not resolve, a refused connection, in turn), a small JPEG or indexed PNG
that already fits the e-ink box, every fifth an image on a slow host, every tenth the
blog's shared banner (one URL in many articles); every fourth camera JPEG is a 12 MP one.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from html import escape

from PIL import Image, ImageDraw, ImageFilter

MONTH = (2024, 3)
FEEDS = ("engineering", "platform", "data", "security", "frontend")
FEED_KINDS = ("rss", "atom", "rss", "atom", "rss")
# One article's images, in order; an article carries the first ``images_per_article``.
IMAGE_KINDS = ("camera-jpeg", "png-screenshot", "webp-photo", "gif-chart")
UNRESOLVABLE = "http://images.nonexistent.invalid"  # .invalid never resolves (RFC 6761)
DEAD_KINDS = ("404", "unresolvable", "refused")
WORDS = ("queue latency cache shard replica consensus throughput partition index schema backpressure "
         "idempotent retry deploy rollout canary container scheduler kernel buffer socket protocol "
         "gateway tenant quota budget observability trace metric alert incident postmortem capacity").split()


@dataclass
class Corpus:
    articles: int
    images_per_article: int
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    image_count: int = 0
    image_bytes: int = 0
    dead_links: int = 0
    """Image links that cannot be downloaded (404, unresolvable host, refused connection)."""


@dataclass(frozen=True)
class Web:
    """Where the extras live: the slow host (same files, answers late) and a port nothing listens on."""

    slow_base: str
    refused_base: str

    @property
    def feeds(self) -> tuple[str, ...]:
        return FEEDS


def build_corpus(articles: int, images_per_article: int, base: str, seed: int = 8, web: Web | None = None) -> Corpus:
    """``articles`` posts spread over the feeds, each with ``images_per_article`` images, linking to ``base``.

    With ``web`` the articles also carry the extras of the module docstring.
    """
    rng = random.Random(seed)
    corpus = Corpus(articles, images_per_article)
    photos = [_photo_texture(rng, i) for i in range(4)]
    if web is not None:
        corpus.files["/media/shared/banner.png"] = (_small("indexed-png", 0, rng), "image/png")
    per_feed: dict[str, list[dict]] = {name: [] for name in FEEDS}
    start = datetime(*MONTH, 1, 8, tzinfo=timezone.utc)
    for n in range(articles):
        feed = FEEDS[n % len(FEEDS)]
        images = []
        for kind in IMAGE_KINDS[:images_per_article]:
            path, body, ctype = _image(kind, n, rng, photos)
            corpus.files[path] = (body, ctype)
            corpus.image_count += 1
            corpus.image_bytes += len(body)
            images.append((kind, path))
        if web is not None:
            images += _web_extras(corpus, n, rng, base, web)
        post = {
            "n": n, "feed": feed, "title": f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} at scale, part {n + 1}",
            "author": f"{rng.choice(['Ada', 'Grace', 'Linus', 'Barbara', 'Ken'])} {rng.choice(['Lovelace', 'Hopper', 'Liskov', 'Thompson'])}",
            "date": start + timedelta(minutes=int(n * 27 * 24 * 60 / max(articles, 1))),
            "link": f"{base}/{feed}/{n}.html",
            "body": _article_body(rng, n, images, base),
        }
        per_feed[feed].append(post)
        corpus.files[f"/{feed}/{n}.html"] = (_page(post, n % 3).encode("utf-8"), "text/html; charset=utf-8")
    for index, feed in enumerate(FEEDS):
        posts = per_feed[feed]
        for variant in ("full", "summary"):
            render = _atom if FEED_KINDS[index] == "atom" else _rss
            body, ctype = render(feed, posts, base, full=variant == "full")
            corpus.files[f"/{variant}/{feed}.xml"] = (body.encode("utf-8"), ctype)
    return corpus


def _web_extras(corpus: Corpus, n: int, rng: random.Random, base: str, web: Web) -> list[tuple[str, str]]:
    """(kind, absolute URL) of the extra images of article ``n``; the live ones are added to the corpus."""
    extras = []
    if n % 2 == 0:
        dead = DEAD_KINDS[(n // 2) % len(DEAD_KINDS)]
        extras.append(("dead", {"404": f"{base}/media/{n}/deleted.jpg", "unresolvable": f"{UNRESOLVABLE}/{n}.jpg",
                                "refused": f"{web.refused_base}/{n}.png"}[dead]))
        corpus.dead_links += 1
    small = "small-jpeg" if n % 2 else "indexed-png"
    path = f"/media/{n}/small.{'jpg' if small == 'small-jpeg' else 'png'}"
    corpus.files[path] = (_small(small, n, rng), "image/jpeg" if small == "small-jpeg" else "image/png")
    extras.append((small, base + path))
    if n % 5 == 0:
        path = f"/media/{n}/slow.jpg"
        corpus.files[path] = (_small("small-jpeg", n + 1, rng), "image/jpeg")
        extras.append(("slow", web.slow_base + path))
    if n % 10 == 0:
        extras.append(("shared", f"{base}/media/shared/banner.png"))
    for kind, url in extras:
        if kind not in ("dead", "shared"):
            corpus.image_count += 1
            corpus.image_bytes += len(corpus.files[url.removeprefix(base).removeprefix(web.slow_base)][0])
    return extras


def _small(kind: str, n: int, rng: random.Random) -> bytes:
    """An image that already fits the box: an 800x533 JPEG at quality 75, or a 16-colour PNG diagram."""
    buffer = io.BytesIO()
    if kind == "small-jpeg":
        image = Image.new("RGB", (16, 12))
        image.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(16 * 12)])
        image = Image.blend(image.resize((800, 533), Image.Resampling.BICUBIC),
                            Image.effect_noise((800, 533), 20).convert("RGB"), 0.15)
        ImageDraw.Draw(image).text((20, 20), f"small {n}", fill=(255, 255, 255))
        image.save(buffer, "JPEG", quality=75)
        return buffer.getvalue()
    image = Image.new("P", (900, 500), 0)
    image.putpalette([255, 255, 255, 20, 20, 20, 40, 110, 190, 220, 120, 40] + [0] * 756)
    draw = ImageDraw.Draw(image)
    for box in range(5):
        draw.rectangle((30 + box * 170, 180, 150 + box * 170, 320), outline=1, width=3, fill=2 + box % 2)
        draw.text((45 + box * 170, 240), f"svc-{n}-{box}", fill=1)
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def _photo_texture(rng: random.Random, index: int) -> Image.Image:
    """A photograph stand-in: smooth colour fields plus sensor noise (JPEG sizes like a camera's)."""
    size = (4000, 3000)
    small = Image.new("RGB", (16, 12))
    small.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(16 * 12)])
    image = small.resize(size, Image.Resampling.BICUBIC)
    noise = Image.effect_noise(size, 28).convert("RGB")
    image = Image.blend(image, noise, 0.18).filter(ImageFilter.SMOOTH)
    draw = ImageDraw.Draw(image)
    for _ in range(60):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        draw.ellipse((x, y, x + rng.randrange(40, 400), y + rng.randrange(40, 400)),
                     outline=(rng.randrange(256),) * 3, width=6)
    return image


def _image(kind: str, n: int, rng: random.Random, photos: list[Image.Image]) -> tuple[str, bytes, str]:
    buffer = io.BytesIO()
    if kind in ("camera-jpeg", "webp-photo"):
        photo = photos[n % len(photos)]
        width, height = (3000, 2000) if kind == "camera-jpeg" else (1600, 1067)
        crop = (4000, 3000) if kind == "camera-jpeg" and n % 4 == 0 else (3000, 2000)  # a 12 MP camera now and then
        left, top = rng.randrange(photo.width - crop[0] + 1), rng.randrange(photo.height - crop[1] + 1)
        image = photo.crop((left, top, left + crop[0], top + crop[1]))
        if kind == "webp-photo":
            image = image.resize((width, height), Image.Resampling.BILINEAR)
        ImageDraw.Draw(image).text((40, 40), f"photo {n}", fill=(255, 255, 255))  # every image distinct
        if kind == "camera-jpeg":
            image.save(buffer, "JPEG", quality=92)
            return f"/media/{n}/IMG_{4000 + n}.jpg", buffer.getvalue(), "image/jpeg"
        image.save(buffer, "WEBP", quality=85)
        return f"/media/{n}/photo.webp", buffer.getvalue(), "image/webp"
    if kind == "png-screenshot":
        image = Image.new("RGB", (1920, 1080), (250, 250, 252))
        draw = ImageDraw.Draw(image)
        draw.rectangle((0, 0, 1920, 64), fill=(36, 41, 47))
        draw.rectangle((0, 64, 280, 1080), fill=(240, 242, 245))
        for row in range(40):
            y = 100 + row * 24
            draw.text((320, y), f"{n:04d} {' '.join(rng.choice(WORDS) for _ in range(12))}", fill=(30, 30, 30))
            draw.text((20, y), rng.choice(WORDS), fill=(80, 80, 160))
        image.save(buffer, "PNG")
        return f"/media/{n}/screenshot.png", buffer.getvalue(), "image/png"
    image = Image.new("P", (640, 400), 0)
    image.putpalette([255, 255, 255, 30, 30, 30, 200, 60, 60, 60, 120, 200] + [0] * 756)
    draw = ImageDraw.Draw(image)
    for bar in range(12):
        height = rng.randrange(20, 340)
        draw.rectangle((40 + bar * 48, 380 - height, 72 + bar * 48, 380), fill=2 + bar % 2)
    draw.line((30, 380, 620, 380), fill=1, width=2)
    draw.text((40, 10), f"requests per second, week {n}", fill=1)
    image.save(buffer, "GIF")
    return f"/media/{n}/chart.gif", buffer.getvalue(), "image/gif"


def _paragraph(rng: random.Random) -> str:
    sentences = []
    for _ in range(rng.randrange(3, 7)):
        words = [rng.choice(WORDS) for _ in range(rng.randrange(8, 20))]
        sentences.append(" ".join(words).capitalize() + ".")
    return " ".join(sentences)


def _article_body(rng: random.Random, n: int, images: list[tuple[str, str]], base: str) -> str:
    """The article as blogs write it: inline styles, lazy images, embeds, scripts, tracking."""
    parts = [f'<p style="font-family:Georgia;color:#333" onclick="track({n})">{_paragraph(rng)}</p>',
             '<script>window.dataLayer=window.dataLayer||[];dataLayer.push({event:"read"})</script>']
    captions = {"camera-jpeg": "The rack after the upgrade", "png-screenshot": "The dashboard during the incident",
                "webp-photo": "The team at the whiteboard", "gif-chart": "Requests per second"}
    for index, (kind, path) in enumerate(item for item in images if item[0] in IMAGE_KINDS):
        parts.append(f"<h2>{rng.choice(WORDS).title()} and {rng.choice(WORDS)}</h2>")
        parts.append(f"<p>{_paragraph(rng)}</p><p>{_paragraph(rng)}</p>")
        if kind == "webp-photo":
            parts.append(f'<figure><picture><source type="image/webp" srcset="{base}{path} 1600w">'
                         f'<img src="{base}{path}" alt="{captions[kind]}" loading="lazy"></picture>'
                         f"<figcaption>{captions[kind]}</figcaption></figure>")
        elif index == 0:
            parts.append(f'<div class="wp-block-image"><figure><img src="{base}{path}" alt="{captions[kind]}" '
                         f'width="3000" height="2000" style="max-width:100%"><figcaption>{captions[kind]}'
                         "</figcaption></figure></div>")
        else:
            parts.append(f'<p><img src="{base}{path}" alt="{captions[kind]}"></p>')
    parts.append("<pre><code>for attempt in range(3):\n    if send(message):\n        break\n"
                 "    time.sleep(2 ** attempt)</code></pre>")
    parts.append("<ul>" + "".join(f"<li>{rng.choice(WORDS)} &amp; {rng.choice(WORDS)}</li>" for _ in range(4)) + "</ul>")
    parts.append(f"<p>{_paragraph(rng)}</p><table><tr><th>p50</th><th>p99</th></tr>"
                 f"<tr><td>{rng.randrange(5, 40)} ms</td><td>{rng.randrange(80, 900)} ms</td></tr></table>")
    parts.append('<iframe src="https://www.youtube.com/embed/dQw4w9WgXcQ" width="560" height="315"></iframe>')
    for kind, url in images:
        if kind in ("dead", "small-jpeg", "indexed-png", "slow", "shared"):
            parts.append(f'<p>{_paragraph(rng)}</p><figure><img src="{url}" alt="{kind} figure"></figure>')
    parts.append(f'<p>{_paragraph(rng)}<img src="{base}/pixel.gif?post={n}" width="1" height="1" alt=""></p>')
    return "\n".join(parts)


PAGE_STYLES = ("wordpress", "medium", "ghost")


def _page(post: dict, style: int) -> str:
    """The article's page, wrapped in the furniture its kind of site adds."""
    title, body = escape(post["title"]), post["body"]
    nav = "".join(f'<li><a href="/{w}/">{w.title()}</a></li>' for w in WORDS[:8])
    head = (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} | Example Engineering"
            f"</title><meta property=\"og:title\" content=\"{title}\"><meta name=\"author\" content=\"{post['author']}\">"
            f"<meta property=\"article:published_time\" content=\"{post['date'].isoformat()}\">"
            "<link rel=\"stylesheet\" href=\"/wp-content/themes/x/style.css\"><script src=\"/js/analytics.js\"></script>"
            "<style>body{font-family:Helvetica}.cookie{position:fixed}</style></head>")
    cookie = '<div class="cookie-banner" id="cookies"><p>We use cookies. <button>Accept all cookies</button></p></div>'
    related = "".join(f'<li><a href="/{post["feed"]}/{k}.html">Related story {k}</a></li>' for k in range(5))
    comments = ('<section id="comments"><h3>3 Comments</h3><div class="comment"><p>Great post, thanks! '
                "This is the first comment from a reader.</p></div></section>")
    footer = "<footer><p>&copy; 2024 Example Inc. All rights reserved.</p><ul><li>Privacy</li><li>Terms</li></ul></footer>"
    share = '<div class="share"><a href="https://twitter.com/share">Share on Twitter</a> <a href="#">Share on Facebook</a></div>'
    if style == 0:  # WordPress
        return (f"{head}<body class=\"post-template-default single\">{cookie}<header id=\"masthead\"><nav><ul>{nav}"
                f"</ul></nav></header><div id=\"content\" class=\"site-content\"><main id=\"main\"><article class=\"post\">"
                f"<header class=\"entry-header\"><h1 class=\"entry-title\">{title}</h1><div class=\"entry-meta\">By "
                f"<span class=\"author vcard\">{post['author']}</span> on <time datetime=\"{post['date'].isoformat()}\">"
                f"{post['date']:%B %d, %Y}</time></div></header>{share}<div class=\"entry-content\">{body}</div></article>"
                f"{comments}</main><aside id=\"secondary\" class=\"widget-area\"><h2>Related</h2><ul>{related}</ul></aside>"
                f"</div>{footer}</body></html>")
    if style == 1:  # Medium-like: div soup, class hashes
        return (f"{head}<body><div id=\"root\"><div class=\"a b c\"><nav class=\"xq\">{nav}</nav></div>"
                f"<div class=\"ab cd\"><article><div class=\"l m\"><section><div class=\"n o\"><h1 class=\"pw-post-title\">"
                f"{title}</h1><div class=\"pw-author\">{post['author']} · 6 min read</div>{body}</div></section></div>"
                f"</article><div class=\"recirc\"><h2>More from Example Engineering</h2><ul>{related}</ul></div></div>"
                f"{cookie}</div><script>window.__APOLLO_STATE__={{}}</script></body></html>")
    return (f"{head}<body class=\"post-template\"><header class=\"site-header\"><nav>{nav}</nav></header><main "
            f"class=\"site-main\"><article class=\"post-full\"><header class=\"post-full-header\"><h1 class=\"post-full-title\">"
            f"{title}</h1></header><section class=\"post-full-content\"><div class=\"post-content\">{body}</div></section>"
            f"</article><aside class=\"read-next\"><ul>{related}</ul></aside>{comments}</main>{footer}{cookie}</body></html>")


def _summary(post: dict) -> str:
    return f"A look at {post['title'].lower()}: what we changed, what broke and what we measured [&#8230;]"


def _rss(feed: str, posts: list[dict], base: str, *, full: bool) -> tuple[str, str]:
    items = []
    for post in posts:
        content = f"<content:encoded><![CDATA[{post['body']}]]></content:encoded>" if full else ""
        items.append(
            f"<item><title>{escape(post['title'])}</title><link>{post['link']}</link>"
            f"<guid isPermaLink=\"false\">urn:bench:{post['n']}</guid><dc:creator>{post['author']}</dc:creator>"
            f"<pubDate>{post['date']:%a, %d %b %Y %H:%M:%S} +0000</pubDate>"
            f"<description>{escape(_summary(post))}</description>{content}</item>")
    body = (f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
            f'xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f"<channel><title>{feed.title()} at Example</title><link>{base}/{feed}/</link><language>en</language>"
            f"<description>The {feed} blog</description>{''.join(items)}</channel></rss>")
    return body, "application/rss+xml; charset=utf-8"


def _atom(feed: str, posts: list[dict], base: str, *, full: bool) -> tuple[str, str]:
    entries = []
    for post in posts:
        content = (f'<content type="html">{escape(post["body"])}</content>' if full else "")
        entries.append(
            f"<entry><title>{escape(post['title'])}</title><link rel=\"alternate\" href=\"{post['link']}\"/>"
            f"<id>urn:bench:{post['n']}</id><author><name>{post['author']}</name></author>"
            f"<published>{post['date'].isoformat()}</published><updated>{post['date'].isoformat()}</updated>"
            f"<summary>{escape(_summary(post))}</summary>{content}</entry>")
    body = (f'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">'
            f"<title>{feed.title()} at Example</title><id>{base}/{feed}/</id><link href=\"{base}/{feed}/\"/>"
            f"<updated>{datetime(*MONTH, 28, tzinfo=timezone.utc).isoformat()}</updated>{''.join(entries)}</feed>")
    return body, "application/atom+xml; charset=utf-8"
