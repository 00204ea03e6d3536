"""A deterministic synthetic explainer of N events, for the benchmarks: `python bench/corpus.py N FOLDER`."""
from __future__ import annotations

import io
import random
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WORDS = (
    "police detained activist border court request notice interpol minister statement protest picket embassy "
    "diaspora lawyer extradition warrant appeal hearing release opposition election authorities report journalist "
    "airport flight asylum visa prosecutor investigation letter database cooperation suspension review commission "
    "general assembly secretariat bureau member country human rights political persecution evidence witness"
).split()
TAG_COUNT, SOURCE_COUNT, EVENTS_PER_YAML = 200, 500, 100
PHOTO_EVERY = 100  # one event in a hundred has a photo


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 18))]
    if rng.random() < 0.2:
        index = rng.randrange(len(words))
        words[index] = f"*{words[index]}*"
    return " ".join(words).capitalize() + "."


def body(rng: random.Random, event_ids: list[str]) -> str:
    """150 to 400 words of Markdown: paragraphs, a list now and then, citations and event links."""
    paragraphs, words = [], 0
    target = rng.randint(150, 400)
    while words < target:
        text = " ".join(sentence(rng) for _ in range(rng.randint(2, 5)))
        text += f"[@source-{rng.randrange(SOURCE_COUNT)}]"
        if event_ids and rng.random() < 0.3:
            text += f" See [[{rng.choice(event_ids)}]]."
        if rng.random() < 0.15:
            text += "\n\n" + "\n".join(f"- {sentence(rng)}" for _ in range(3))
        paragraphs.append(text)
        words += len(text.split())
    return "\n\n".join(paragraphs)


def event_fields(rng: random.Random, number: int, previous: list[str]) -> dict:
    year = 2000 + number * 20 // 1000 if number else 2000
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    date = f"{year}-{month:02d}-{day:02d}" if rng.random() < 0.85 else f"{year}-{month:02d}"
    return {
        "id": f"event-{number:05d}",
        "date": date,
        "title": sentence(rng).rstrip(".")[:90],
        "summary": sentence(rng) + f"[@source-{rng.randrange(SOURCE_COUNT)}]",
        "place": rng.choice(["Warsaw, Poland", "Vilnius, Lithuania", "Lyon, France", "Minsk, Belarus", "Kyiv, Ukraine"]),
        "tags": sorted({f"Topic {rng.randrange(TAG_COUNT)}" for _ in range(rng.randint(2, 4))}),
        "sources": [f"source-{rng.randrange(SOURCE_COUNT)}"],
        "body": body(rng, previous[-50:]),
        "photo": number % PHOTO_EVERY == 0,
    }


def _yaml_list(values: list[str]) -> str:
    return "[" + ", ".join(f'"{value}"' for value in values) + "]"


def write_corpus(count: int, root: Path, seed: int = 2021, theme: Path = REPO) -> None:
    """Write a site of `count` events under `root` (half YAML lists, half Markdown entries), with the templates,
    stylesheets and scripts of the checkout at `theme`."""
    rng = random.Random(seed)
    if root.exists():
        shutil.rmtree(root)
    for folder in ("data/events", "content/events", "assets/images"):
        (root / folder).mkdir(parents=True)
    shutil.copytree(theme / "templates", root / "templates")
    for folder in ("css", "js"):
        shutil.copytree(theme / "assets" / folder, root / "assets" / folder)
    shutil.copy(theme / "assets" / "favicon.svg", root / "assets" / "favicon.svg")
    (root / "data" / "site.yaml").write_text(
        "title: Benchmark timeline\ndescription: A synthetic explainer for the benchmarks.\n"
        "base_url: https://bench.example.org\nlanguage: en\nauthor: Bench\nlicense: CC BY 4.0\n")
    (root / "data" / "sources.yaml").write_text("".join(
        f"source-{n}:\n  title: Report number {n}\n  publisher: Publisher {n % 40}\n"
        f"  url: https://news.example.org/{n}\n  date: 2021-{n % 12 + 1:02d}-{n % 28 + 1:02d}\n" for n in range(SOURCE_COUNT)))
    (root / "content" / "index.md").write_text("---\ntitle: A long timeline\n---\nAn introduction.[@source-1]\n")
    (root / "content" / "about.md").write_text("---\ntitle: About\norder: 1\n---\nHow it was made.[@source-2]\n")
    ids: list[str] = []
    batch: list[str] = []
    for number in range(count):
        fields = event_fields(rng, number, ids)
        ids.append(fields["id"])
        photo = ""
        if fields["photo"]:
            name = f"photo-{number:05d}.jpg"
            _write_photo(root / "assets" / "images" / name, number)
            photo = (f"photos:\n  - src: images/{name}\n    alt: A generated test photo\n"
                     f"    caption: Photo {number}\n    credit: Bench\n")
        front = (f"id: {fields['id']}\ndate: {fields['date']}\ntitle: \"{fields['title']}\"\n"
                 f"summary: \"{fields['summary']}\"\nplace: {fields['place']}\ntags: {_yaml_list(fields['tags'])}\n"
                 f"sources: {_yaml_list(fields['sources'])}\n{photo}")
        if number % 2:
            (root / "content" / "events" / f"{fields['id']}.md").write_text(f"---\n{front}---\n{fields['body']}\n")
        else:
            indented = "\n".join(("  " + line) if line else "" for line in front.splitlines())
            text_body = "\n".join(("    " + line) if line else "" for line in fields["body"].splitlines())
            batch.append(f"-{indented[1:]}\n  body: |\n{text_body}\n")
            if len(batch) == EVENTS_PER_YAML // 2:
                (root / "data" / "events" / f"batch-{number:05d}.yaml").write_text("\n".join(batch))
                batch = []
    if batch:
        (root / "data" / "events" / "batch-last.yaml").write_text("\n".join(batch))


def _write_photo(path: Path, number: int) -> None:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1200, 800), (40 + number % 150, 90, 120))
    draw = ImageDraw.Draw(image)
    for step in range(0, 1200, 60):
        draw.rectangle([step, (step * 7 + number) % 700, step + 40, 800], fill=(200, (step + number) % 255, 80))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    path.write_bytes(buffer.getvalue())


if __name__ == "__main__":
    write_corpus(int(sys.argv[1]), Path(sys.argv[2]))
