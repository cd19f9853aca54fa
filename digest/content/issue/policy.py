"""The one adapter from the config's options to the fetch layer's and the image pipeline's policies."""

from __future__ import annotations

from digest.content.images.fit import ImageProfile
from digest.core.config import Config
from digest.core.vocabulary import MB
from digest.ingest.fetchpolicy import FetchPolicy


def fetch_policy(config: Config) -> FetchPolicy:
    """``[fetch]`` as the Fetcher's policy."""
    fetching = config.fetching
    return FetchPolicy(connect_timeout=fetching.timeout, read_timeout=fetching.timeout,
                       total_timeout=fetching.url_timeout,
                       retries=fetching.retries, per_host=fetching.per_host,
                       max_bytes=int(fetching.max_mb * MB), allow_private_hosts=fetching.allow_private_hosts,
                       dead_link_days=fetching.dead_link_days, unreachable_days=fetching.unreachable_days,
                       breaker=fetching.breaker)


def image_profile(config: Config) -> ImageProfile:
    """``[images]`` as the profile every image is fitted to."""
    images = config.images
    return ImageProfile(max_width=images.max_width, max_height=images.max_height,
                        grayscale=images.grayscale, jpeg_quality=images.jpeg_quality)
