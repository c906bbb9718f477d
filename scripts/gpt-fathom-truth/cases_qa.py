"""Original rows + canned completions for the QA / F1 benchmarks.

Every row here was written for Fathom (not copied from any dataset).
Each case is (row, completion, branch). The rows of a benchmark form its
sample set's test file; the completions form its predictions.jsonl.
"""

NBSP = "\u00a0"
IDEO = "\u3000"

NQ_SHOTS = [
    {"question": "who painted the ceiling of the old harbour chapel in fathom bay", "answers": ["Mara Quell", "Quell"]},
    {"question": "what colour is the lighthouse on skerry point", "answers": ["red"]},
]
NQ = [
    ({"question": "what is the capital city of the island nation of norvelle", "answers": ["Port Adair"]}, "Port Adair", "exact match after normalize"),
    ({"question": "who wrote the novel the glass orchard", "answers": ["Ilse Brandt"]}, " The novel was written by Ilse Brandt in 1961.", "gold is a substring of the output (output contains gold)"),
    ({"question": "how many moons does the planet tavros have", "answers": ["three moons"]}, "three", "output is a substring of the gold (reverse direction)"),
    ({"question": "what river runs through the town of kellam", "answers": ["the Orrin River"]}, "Orrin river.", "articles and punctuation removed before matching"),
    ({"question": "which year did the kellam bridge open", "answers": ["1894"]}, "1849", "wrong answer"),
    ({"question": "what is the tallest mountain in the verdan range", "answers": ["Mount Sel", "Sel Peak"]}, "Sel Peak, at 4,100 m", "second gold of several matches"),
    ({"question": "who is the patron of the kellam guild", "answers": ["An"]}, "The", "output normalizes to empty, gold normalizes to empty (article only): equal"),
    ({"question": "what does the sign on the mill door say", "answers": ["keep out"]}, "", "empty output vs non-empty gold"),
    ({"question": "what is the motto of the fathom bay school", "answers": ["per mare"]}, "...", "punctuation-only output normalizes to empty"),
    ({"question": "which bird is on the kellam flag", "answers": ["heron"]}, "A grey\nheron, standing", "newline collapses with whitespace; substring"),
    ({"question": "what is the name of the ferry to skerry point", "answers": ["Saint Brannoc"]}, "St. Brannoc", "abbreviation does not match"),
    ({"question": "who founded the observatory on tavros", "answers": ["J. R. Halloway"]}, "jr halloway", "dots deleted but the space between initials stays: 'j r halloway' vs 'jr halloway': no match"),
]

WEBQ_SHOTS = [
    {"question": "what language do people speak in the valley of orm?", "answers": ["Ormish", "Ormic"]},
]
WEBQ = [
    ({"question": "where did the poet lina vesk grow up?", "answers": ["Caldmoor"]}, "Caldmoor", "exact"),
    ({"question": "what currency is used in norvelle?", "answers": ["Norvellian crown", "crown"]}, "They use the crown.", "one of several golds contained in output"),
    ({"question": "what team does tomas reyl play for?", "answers": ["Kellam Rovers"]}, "Rovers", "output contained in gold"),
    ({"question": "what instruments did ada fenn play?", "answers": ["Cello", "Piano"]}, "the harp", "wrong"),
    ({"question": "what is the state flower of the west march?", "answers": ["Marsh Lily"]}, "MARSH-LILY", "hyphen deleted, not replaced by space: 'marshlily' vs 'marsh lily'"),
    ({"question": "what did ilse brandt study?", "answers": ["botany"]}, "Botany" + NBSP, "trailing NBSP collapses as whitespace"),
    ({"question": "what time zone is port adair in?", "answers": ["UTC+3"]}, "utc 3", "'+' deleted: 'utc3' vs 'utc 3'"),
    ({"question": "who was the first mayor of kellam?", "answers": ["a"]}, "a", "gold and output are both the article 'a' (normalize to empty): match"),
]

TRIVIA_SHOTS = [
    {"question": "Which fictional sea captain sailed the Marrow Star?", "answer": {"aliases": ["Captain Oda Penn", "Oda Penn"], "normalized_aliases": ["captain oda penn", "oda penn"]}},
]
TRIVIA = [
    ({"question": "In the Kellam legends, what animal guards the well?", "answer": {"aliases": ["The Grey Hare", "Grey Hare"], "normalized_aliases": ["grey hare", "the grey hare"]}}, "a grey hare", "alias match, article stripped"),
    ({"question": "What is the chemical symbol chosen for the invented element fathomium?", "answer": {"aliases": ["Fm"], "normalized_aliases": ["fm"]}}, "Fh", "wrong"),
    ({"question": "Which composer wrote the Tavros Suite?", "answer": {"aliases": ["Ada Fenn"], "normalized_aliases": ["ada fenn"]}}, "Ada Fenn (1880-1931)", "output contains alias"),
    ({"question": "Name the invented board game played with nine stones.", "answer": {"aliases": ["Nine Stones", "Ninestones"], "normalized_aliases": ["nine stones", "ninestones"]}}, "ninestones", "normalized alias matches"),
    ({"question": "What is the largest lake in the Verdan range?", "answer": {"aliases": ["Lake Ume"], "normalized_aliases": ["lake ume"]}}, "Ume", "output inside alias (two-way substring)"),
    ({"question": "How many strings does a kellam lute have?", "answer": {"aliases": ["11", "eleven"], "normalized_aliases": ["11", "eleven"]}}, "1", "'1' is a substring of '11': counted correct"),
    ({"question": "Which city hosts the Fathom regatta?", "answer": {"aliases": ["Port Adair"], "normalized_aliases": ["port adair"]}}, "", "empty output"),
    ({"question": "What is the Norvellian word for sea?", "answer": {"aliases": ["Café"], "normalized_aliases": ["café"]}}, "CAFÉ!", "non-ASCII lowercase (É -> é) and punctuation"),
]

# TyDi QA: rows in the field names of khalidalt/tydiqa-goldp, which
# build_tydiqa.py reads (question_text, passage_text, answers.text); the
# language is the HF config name and is kept in `language`.
TYDI_SHOTS = {
    "english": [{"question_text": "What is the oldest bridge in Kellam?", "passage_text": "The oldest bridge in Kellam is the Stone Arch.", "answers": {"text": ["the Stone Arch"], "answer_start": [29]}, "language": "english"}],
    "bengali": [{"question_text": "কেলাম শহরে কয়টি সেতু আছে?", "passage_text": "কেলাম শহরে ৪টি সেতু আছে।", "answers": {"text": ["৪টি"], "answer_start": [11]}, "language": "bengali"}],
    "thai": [{"question_text": "เมืองเคลลัมมีสะพานกี่แห่ง", "passage_text": "เมืองเคลลัมมีสะพานสี่แห่ง", "answers": {"text": ["สี่แห่ง"], "answer_start": [18]}, "language": "thai"}],
}
TYDI = {
    "english": [
        ({"question_text": "Who built the Kellam mill?", "passage_text": "", "answers": {"text": ["Tomas Reyl"], "answer_start": [0]}, "language": "english"}, "Tomas Reyl", "exact, F1 1.0"),
        ({"question_text": "When did the mill close?", "passage_text": "", "answers": {"text": ["in 1922"], "answer_start": [0]}, "language": "english"}, "The mill closed in 1922 after a fire.", "gold inside a long output: correct, F1 < 1"),
        ({"question_text": "What did the mill grind?", "passage_text": "", "answers": {"text": ["barley and oats"], "answer_start": [0]}, "language": "english"}, "oats", "partial overlap: output inside gold, F1 2/4"),
        ({"question_text": "Who owns the mill today?", "passage_text": "", "answers": {"text": ["the town council", "council"]}, "language": "english"}, "Nobody", "wrong, F1 0"),
        ({"question_text": "How tall is the mill?", "passage_text": "", "answers": {"text": ["12 metres"], "answer_start": [0]}, "language": "english"}, "12 metres 12 metres", "repeated tokens: Counter overlap clips at gold count"),
    ],
    "bengali": [
        ({"question_text": "কেলাম নদীর নাম কী?", "passage_text": "", "answers": {"text": ["অরিন নদী"], "answer_start": [0]}, "language": "bengali"}, "অরিন নদী", "Bengali exact"),
        ({"question_text": "সেতুটি কত সালে তৈরি?", "passage_text": "", "answers": {"text": ["১৮৯৪"], "answer_start": [0]}, "language": "bengali"}, "১৮৯৪ সালে", "Bengali digits, gold inside output, F1 2/3"),
        ({"question_text": "গ্রামের প্রধান কে?", "passage_text": "", "answers": {"text": ["রিনা দাস"], "answer_start": [0]}, "language": "bengali"}, "রিনা", "output inside gold"),
        ({"question_text": "কেলামে কয়টি স্কুল আছে?", "passage_text": "", "answers": {"text": ["৩টি"], "answer_start": [0]}, "language": "bengali"}, "৩টি।", "Bengali danda '।' is not ASCII punctuation: kept, so token differs (F1 0) but substring matches"),
    ],
    "thai": [
        ({"question_text": "ใครสร้างโรงสี", "passage_text": "", "answers": {"text": ["โทมัส เรล"], "answer_start": [0]}, "language": "thai"}, "โทมัส เรล", "Thai exact"),
        ({"question_text": "โรงสีปิดเมื่อใด", "passage_text": "", "answers": {"text": ["พ.ศ. 2465"], "answer_start": [0]}, "language": "thai"}, "โรงสีปิดในปีพ.ศ. 2465", "Thai without spaces: whitespace tokens differ, substring matches"),
        ({"question_text": "โรงสีอยู่ที่ไหน", "passage_text": "", "answers": {"text": ["ริมแม่น้ำ"], "answer_start": [0]}, "language": "thai"}, "ในเมือง", "wrong"),
        ({"question_text": "มีคนงานกี่คน", "passage_text": "", "answers": {"text": ["๑๒ คน"], "answer_start": [0]}, "language": "thai"}, IDEO + "๑๒" + IDEO + "คน" + NBSP, "Thai digits; ideographic space and NBSP split/collapse as whitespace"),
    ],
}

# DROP: HF `drop` fields passage, question, answers_spans.spans
DROP_SHOTS = [
    {"passage": "The Kellam Rovers scored 3 goals in the first half and 2 in the second.", "question": "How many goals did the Rovers score in total?", "answers_spans": {"spans": ["5"], "types": ["number"]}},
    {"passage": "Ada Fenn wrote four suites and two operas.", "question": "How many more suites than operas did Ada Fenn write?", "answers_spans": {"spans": ["2"], "types": ["number"]}},
    {"passage": "The ferry left Port Adair at 9 and reached Skerry Point at 11.", "question": "Where did the ferry arrive?", "answers_spans": {"spans": ["Skerry Point"], "types": ["span"]}},
]
DROP_P = "In 1894 the town of Kellam opened its bridge. Traffic rose by 3.5 percent in the first year. The mayor, Rina Dace, and the engineer, Tomas Reyl, cut the ribbon. Two ferries, the Heron and the Gull, stopped running."
DROP = [
    ({"passage": DROP_P, "question": "In what year did the bridge open?", "answers_spans": {"spans": ["1894"], "types": ["number"]}}, "1894", "exact, F1 1.0"),
    ({"passage": DROP_P, "question": "By what percent did traffic rise?", "answers_spans": {"spans": ["3.5"], "types": ["number"]}}, "3.5", "3.5 normalizes to 35 on both sides: F1 1.0"),
    ({"passage": DROP_P, "question": "By what percent did traffic rise in the first year?", "answers_spans": {"spans": ["3.5"], "types": ["number"]}}, "3.5 percent", "extra token lowers precision: F1 2/3"),
    ({"passage": DROP_P, "question": "Who cut the ribbon?", "answers_spans": {"spans": ["Rina Dace", "Tomas Reyl"], "types": ["span", "span"]}}, "Rina Dace and Tomas Reyl", "multi-span gold scored as max over single spans (not bag alignment)"),
    ({"passage": DROP_P, "question": "Which ferries stopped running?", "answers_spans": {"spans": ["the Heron", "the Gull"], "types": ["span", "span"]}}, "Gull", "article stripped; one span matched"),
    ({"passage": DROP_P, "question": "How many ferries stopped running?", "answers_spans": {"spans": ["2"], "types": ["number"]}}, "two", "number word vs digit: no number normalisation, F1 0"),
    ({"passage": DROP_P, "question": "Who was the engineer?", "answers_spans": {"spans": ["Tomas Reyl"], "types": ["span"]}}, "Tomas Reyl\n\nPassage: The next question", "whole raw completion is scored (no cut at newline)"),
    ({"passage": DROP_P, "question": "What did the town open?", "answers_spans": {"spans": ["its bridge"], "types": ["span"]}}, "", "empty output: F1 0, fuzzy false"),
    ({"passage": DROP_P, "question": "How many years after 1890 did the bridge open?", "answers_spans": {"spans": ["4"], "types": ["number"]}}, "14", "'4' is a substring of '14': fuzzy correct but F1 0"),
]
