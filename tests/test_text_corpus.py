"""Brown parser, compact copy, one-sentence-per-line loader, split by file, bad input."""

import gzip

import pytest

from semcodec.text.corpus import (
    bleu_tokens,
    build_compact_brown,
    genre_name,
    load_corpus,
    load_genre,
    load_sentences,
    parse_tagged_brown,
    split_by_doc,
)

# The first two sentences of Brown ca01 as they appear in the original tagged file.
CA01_HEAD = (
    "\n\n\tThe/at Fulton/np-tl County/nn-tl Grand/jj-tl Jury/nn-tl said/vbd Friday/nr an/at "
    "investigation/nn of/in Atlanta's/np$ recent/jj primary/nn election/nn produced/vbd ``/`` "
    "no/at evidence/nn ''/'' that/cs any/dti irregularities/nns took/vbd place/nn ./.\n\n\n"
    "\tThe/at jury/nn further/rbr said/vbd in/in term-end/nn presentments/nns that/cs the/at "
    "City/nn-tl Executive/jj-tl Committee/nn-tl ,/, which/wdt had/hvd over-all/jj charge/nn "
    "of/in the/at election/nn ,/, ``/`` deserves/vbz the/at praise/nn and/cc thanks/nns of/in "
    "the/at City/nn-tl of/in-tl Atlanta/np-tl ''/'' for/in the/at manner/nn in/in which/wdt "
    "the/at election/nn was/bedz conducted/vbn ./.\n"
)


def test_parser_reads_tagged_brown_file(tmp_path):
    f = tmp_path / "ca01"
    f.write_text(CA01_HEAD + "\n\tHe/pps ate/vbd 1/2/cd pie/nn ./.\n")
    sents = parse_tagged_brown(f)
    assert len(sents) == 3
    words = [w for w, _ in sents[0]]
    assert words == ("The Fulton County Grand Jury said Friday an investigation of Atlanta's "
                     "recent primary election produced `` no evidence '' that any "
                     "irregularities took place .").split()
    assert sents[0][1] == ("Fulton", "NP-TL")
    assert sents[0][10] == ("Atlanta's", "NP$")
    assert [w for w, _ in sents[1]][:6] == ["The", "jury", "further", "said", "in", "term-end"]
    assert sents[2][2] == ("1/2", "CD")  # the tag follows the last slash


def test_compact_copy_round_trips_the_original(tmp_path):
    src = tmp_path / "brown"
    src.mkdir()
    (src / "ca01").write_text(CA01_HEAD)
    (src / "cr02").write_text("\n\tHa/uh !/.\n")
    (src / "README").write_text("not a corpus file")
    counts = build_compact_brown(src, tmp_path / "out")
    assert counts == {"news": 2, "humor": 1}
    sents = load_sentences(tmp_path / "out" / "news.txt.gz")
    original = parse_tagged_brown(src / "ca01")
    assert len(sents) == 2 and {s.doc for s in sents} == {"ca01"}
    for s, o in zip(sents, original):
        toks, tags = bleu_tokens([w for w, _ in o], [t for _, t in o])
        assert s.tokens == toks and s.tags == tags
    # 13a splits the opening quotes into two tokens; the tag goes with each piece.
    assert sents[0].tokens[15:17] == ("`", "`") and sents[0].tags[15:17] == ("``", "``")


def test_shipped_news_genre_starts_with_ca01():
    c = load_genre("news")
    first = c.train[0]
    assert first.doc == "ca01"
    assert first.tokens[:5] == ("The", "Fulton", "County", "Grand", "Jury")
    assert first.tags[:2] == ("AT", "NP-TL")


@pytest.mark.parametrize("genre", ["science_fiction", "humor", "m"])
def test_split_is_by_file(genre):
    c = load_genre(genre)
    train_docs = {s.doc for s in c.train}
    held_docs = {s.doc for s in c.heldout}
    assert train_docs and held_docs and not train_docs & held_docs
    assert len(held_docs) >= 1 and len(c.heldout) < len(c.train)


def test_plain_text_user_corpus_is_tagged_from_the_lexicon(tmp_path):
    f = tmp_path / "user.txt"
    f.write_text("The committee approved the new budget on Friday.\n\n"
                 "Zorblax visited Paris in 1999 .\nShort.\nAnother line here .\n"
                 "And one more sentence .\n")
    sents = load_sentences(f)
    assert len(sents) == 5
    assert sents[0].tokens[-2:] == ("Friday", ".")  # 13a splits the final period
    assert sents[0].tags[0] == "AT" and sents[0].tags[1] == "NN"
    assert sents[1].tags[0] == "NP"  # unknown capitalised word -> proper noun
    c = load_corpus(str(f))
    assert len(c.heldout) == 1 and len(c.train) == 4  # one file: split by sentence


def test_gzip_user_corpus_and_doc_prefix(tmp_path):
    f = tmp_path / "u.txt.gz"
    with gzip.open(f, "wt") as fh:
        fh.write("d1\tA/at cat/nn ./.\nd1\tIt/pps sat/vbd ./.\nd2\tA/at dog/nn ./.\n")
    c = split_by_doc(load_sentences(f), "u")
    assert [s.doc for s in c.train] == ["d1", "d1"] and [s.doc for s in c.heldout] == ["d2"]


def test_bad_input_one_line_errors(tmp_path):
    with pytest.raises(KeyError, match="genre='poetry' is invalid"):
        genre_name("poetry")
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n")
    with pytest.raises(ValueError, match="holds no sentences"):
        load_corpus(str(empty))
    with pytest.raises(FileNotFoundError, match="neither a Brown genre"):
        load_corpus(str(tmp_path / "missing.txt"))
    one = tmp_path / "one.txt"
    one.write_text("Only one sentence .\n")
    with pytest.raises(ValueError, match="need at least 2"):
        load_corpus(str(one))
    assert genre_name("A") == "news" and genre_name("science_fiction") == "science_fiction"
