from django_tasks import task

from articles import related


@task()
def refresh_related_items(
    article_ids: list[int], topic_ids: list[int], lists: list[int] | None = None
) -> int:
    """Re-rank the related-items lists a change reached when they were too many to do at once."""
    return related.refresh_now(article_ids, topic_ids=topic_ids, lists=lists or ())
