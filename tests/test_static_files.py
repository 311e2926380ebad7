"""Static files are served compressed: gzip and Brotli files written at collectstatic."""

from whitenoise.compress import Compressor


def test_collectstatic_writes_brotli_beside_gzip(tmp_path):
    # CompressedManifestStaticFilesStorage runs this compressor over every collected file;
    # it writes .br only when the Brotli package is installed.
    css = tmp_path / "site.css"
    css.write_text("body { margin: 0; }\n" * 200)
    written = set(Compressor(quiet=True).compress(str(css)))
    assert written == {f"{css}.gz", f"{css}.br"}
    assert (tmp_path / "site.css.br").stat().st_size < css.stat().st_size
