"""One table for every evaluation result: the model's figures, then the baselines'."""

# Every figure an evaluation reports, in the order of the columns: the
# model's first, then the baseline measured the same way.
COLUMNS = {
    "psnr": "PSNR",
    "ssim": "SSIM",
    "raw_psnr": "raw PSNR",
    "raw_ssim": "raw SSIM",
    "bicubic_psnr": "bic PSNR",
    "bicubic_ssim": "bic SSIM",
    "lpips": "LPIPS",
    "bicubic_lpips": "bic LPIPS",
    "average_psnr": "avg PSNR",
    "average_ssim": "avg SSIM",
    "grey_psnr": "grey PSNR",
    "grey_ssim": "grey SSIM",
}


def _number(key, value):
    return f"{value:.2f}" if key.endswith("psnr") else f"{value:.4f}"


def format_report(title, result, item="image", markdown=False):
    """A table of an evaluation result: one row per item and a mean row.

    Args:
        title: str, the line above the table (omitted in Markdown when empty).
        result: dict with `rows` (dicts with a `name` and figures) and `mean`,
            as every `keras_vsr.evaluation` function returns. The columns
            are the figures of `COLUMNS` present in `mean`, in that order
            (the model's, then the baseline's).
        item: str, the heading of the name column. Default "image".
        markdown: bool, a Markdown table instead of aligned text. Default
            False.

    Returns:
        str.
    """
    keys = [k for k in COLUMNS if k in result["mean"]]
    rows = result["rows"] + [{"name": "mean", **result["mean"]}]
    if markdown:
        lines = [f"| {item} | " + " | ".join(COLUMNS[k] for k in keys) + " |", "|---" * (len(keys) + 1) + "|"]
        lines += ["| " + " | ".join([r["name"]] + [_number(k, r[k]) for k in keys]) + " |" for r in rows]
        return "\n".join(([title, ""] if title else []) + lines)
    widths = [max(8, len(COLUMNS[k]) + 2) for k in keys]
    lines = [title, f"{item:<14}" + "".join(f"{COLUMNS[k]:>{w}}" for k, w in zip(keys, widths))]
    lines += [f"{r['name']:<14}" + "".join(f"{_number(k, r[k]):>{w}}" for k, w in zip(keys, widths)) for r in rows]
    return "\n".join(lines)


def summarise(rows, **extra):
    """`{"rows": rows, "mean": {figure: mean over rows}, **extra}`: the result
    every evaluation returns (`name` is not averaged).

    Raises:
        ValueError: `rows` is empty.
    """
    if not rows:
        raise ValueError("Nothing was measured: the evaluation set is empty.")
    import numpy as np

    mean = {k: float(np.mean([r[k] for r in rows])) for k in rows[0] if k != "name"}
    return {"rows": rows, "mean": mean, **extra}


def markdown_table(header, rows):
    """A Markdown table: `header` a sequence of column titles, `rows` sequences of cells."""
    lines = ["| " + " | ".join(map(str, header)) + " |", "|---" * len(header) + "|"]
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in rows]
    return "\n".join(lines)
