import articles.fields
from django.db import migrations, models


def take_identifiers_out_of_citations(apps, schema_editor):
    """Existing references follow the one rule: DOI and PMID in their fields, normalized."""
    from articles.references import normalize_doi, split_identifiers

    Reference = apps.get_model("articles", "Reference")
    for ref in Reference.objects.iterator():
        found = split_identifiers(ref.citation)
        doi = normalize_doi(ref.doi) if ref.doi else (found.doi or "")
        pmid = ref.pmid or found.pmid
        same_doi = not found.doi or found.doi.lower() == doi.lower()
        same_pmid = not found.pmid or found.pmid == pmid
        citation = found.citation if same_doi and same_pmid else ref.citation
        if (citation, doi, pmid) != (ref.citation, ref.doi, ref.pmid):
            Reference.objects.filter(pk=ref.pk).update(citation=citation, doi=doi, pmid=pmid)
    Article = apps.get_model("articles", "Article")
    for pk, doi in Article.objects.exclude(doi="").values_list("pk", "doi"):
        if normalize_doi(doi) != doi:
            Article.objects.filter(pk=pk).update(doi=normalize_doi(doi))


class Migration(migrations.Migration):

    dependencies = [
        ('articles', '0008_journal_abbreviation'),
    ]

    operations = [
        migrations.AlterField(
            model_name='article',
            name='doi',
            field=articles.fields.DOIField(blank=True, max_length=200, verbose_name='DOI'),
        ),
        migrations.AlterField(
            model_name='reference',
            name='citation',
            field=models.TextField(help_text='As the journal prints it (AMA style). A DOI or PMID at its end moves to its own field (the page prints each once, as a link).'),
        ),
        migrations.AlterField(
            model_name='reference',
            name='doi',
            field=articles.fields.DOIField(blank=True, max_length=200, verbose_name='DOI'),
        ),
        migrations.AlterField(
            model_name='reference',
            name='pmid',
            field=articles.fields.PMIDField(blank=True, max_length=12, verbose_name='PMID'),
        ),
        migrations.RunPython(take_identifiers_out_of_citations, migrations.RunPython.noop),
    ]
