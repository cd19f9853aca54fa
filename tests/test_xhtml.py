"""The sanitizer: hostile or sloppy HTML in, well-formed Kindle-safe XHTML out."""

from __future__ import annotations

from lxml import etree

from digest.content.text.sanitize import clean_html

BASE = "https://blog.example.org/2018/01/post/"


def clean(html, **kwargs):
    return clean_html(html, base_url=BASE, id_prefix="a01", **kwargs)


def parse(fragment):
    """Parse as XML inside an XHTML div: raises if not well-formed."""
    return etree.fromstring(f'<div xmlns="http://www.w3.org/1999/xhtml">{fragment.xhtml}</div>'.encode())


def recording_resolver():
    """The URLs the sanitizer asks for, and a resolver that puts every image at images/1.jpg."""
    seen = []

    def resolve(url):
        seen.append(url)
        return "images/1.jpg"

    return seen, resolve


def tags(tree):
    return {el.tag.rpartition("}")[2] for el in tree.iter() if isinstance(el.tag, str)}


def test_scripts_styles_forms_and_handlers_are_removed():
    out = clean('<p onclick="steal()" style="color:red">Hi<script>alert(1)</script></p>'
                '<style>p{}</style><form action="/x"><input name="q"/></form>'
                '<a href="javascript:alert(1)">js</a><a href="data:text/html,x">data</a>')
    tree = parse(out)
    assert tags(tree) == {"div", "p"}
    assert "steal" not in out.xhtml and "alert" not in out.xhtml
    assert "Hi" in out.text and "js" in out.text


def test_relative_links_become_absolute_and_fragment_links_follow_prefixed_ids():
    out = clean('<h2 id="intro">Intro</h2><p><a href="../other/">other</a> <a href="#intro">up</a> '
                '<a href="#missing">gone</a></p>')
    tree = parse(out)
    hrefs = [a.get("href") for a in tree.iter("{*}a")]
    assert hrefs == ["https://blog.example.org/2018/01/other/", "#a01-intro"]
    assert tree.find(".//{*}h2").get("id") == "a01-intro"
    assert "gone" in out.text


def test_duplicate_ids_are_made_unique():
    tree = parse(clean('<p id="x">1</p><p id="x">2</p><p id="bad id!">3</p>'))
    ids = [el.get("id") for el in tree.iter() if el.get("id")]
    assert len(ids) == len(set(ids)) and all(i.startswith("a01-") for i in ids)


def test_iframes_and_videos_become_links_with_their_title():
    out = clean('<iframe src="https://www.youtube.com/embed/abc" title="Keynote"></iframe>'
                '<video><source src="/media/demo.mp4"/></video>')
    tree = parse(out)
    links = {a.get("href"): a.text for a in tree.iter("{*}a")}
    assert links["https://www.youtube.com/embed/abc"].startswith("Keynote")
    assert "https://blog.example.org/media/demo.mp4" in links
    assert not {"iframe", "video", "source"} & tags(tree)


def test_picture_reduced_to_one_image_and_remote_images_never_stay_remote():
    out = clean('<picture><source srcset="a.webp 480w, b.webp 1200w" type="image/webp"/>'
                '<img src="fallback.jpg" alt="Diagram"/></picture><img src="https://x/y.png"/>')
    tree = parse(out)
    assert not tree.findall(".//{*}img")  # no image pipeline given: nothing remote survives
    assert "[Image: Diagram]" in out.text


def test_images_resolved_into_the_book_keep_their_alt():
    seen, resolve = recording_resolver()
    tree = parse(clean('<img data-src="/img/lazy.jpg" src="data:image/gif;base64,R0lG" alt=" A  chart "/>'
                       '<img src="plain.png"/>', resolve_image=resolve))
    images = tree.findall(".//{*}img")
    assert seen == ["https://blog.example.org/img/lazy.jpg", "https://blog.example.org/2018/01/post/plain.png"]
    assert [(i.get("src"), i.get("alt")) for i in images] == [("images/1.jpg", "A chart"), ("images/1.jpg", "")]


def test_declared_tracking_pixels_are_dropped_without_being_asked_for():
    seen, resolve = recording_resolver()
    tree = parse(clean('<p>Text<img src="https://t.example/p.gif?u=1" width="1" height="1" alt=""/>'
                       '<img src="/beacon.png" width="0px" height=" 2 "/>'
                       '<img src="/icon.png" width="2" height="24"/><img src="/wide.png" width="1"/></p>',
                       resolve_image=resolve))
    assert seen == ["https://blog.example.org/icon.png", "https://blog.example.org/wide.png"]
    assert len(tree.findall(".//{*}img")) == 2
    assert "Text" in etree.tostring(tree, encoding="unicode")


def test_comments_control_characters_and_broken_nesting_come_out_well_formed():
    out = clean('<p>a <!-- bad -- comment --> b\x00\x07 <b><i>nested</b></i><div>block in p</p>'
                '<table><td colspan="x">cell</table><custom-widget>kept text</custom-widget>')
    tree = parse(out)
    assert "bad" not in out.xhtml and "\x07" not in out.xhtml
    assert "custom-widget" not in tags(tree) and "kept text" in out.text
    assert out.word_count >= 6
