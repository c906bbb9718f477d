"""Original rows + canned completions for the multiple-choice benchmarks.

Gold letters follow GPT-Fathom's Random(47) shuffle: with 4 options the
displayed order is [3,1,0,2], so answer index 0->C, 1->B, 2->D, 3->A;
with 2 options the order is unchanged (1->A, 2->B); with 5: [3,4,1,0,2].
"""
NBSP = "\u00a0"
IDEO = "\u3000"

# Completions exercising the MultipleChoice.post_process branches; gold C.
def mc_branches_gold_c():
    return [
        ("(C)", "(X) found, gold"),
        ("The answer is (C) because", "(X) inside text"),
        ("(D) no wait, (C)", "two letters: A->Z scan picks C over D even though D comes first"),
        ("(C) or maybe (A)", "two letters: A->Z scan picks A although C comes first"),
        ("C", "no (X): raw text prefix-matched"),
        ("   C) the sun", "no (X): lstrip then prefix match (MultipleChoice only)"),
        (NBSP + IDEO + "C", "no (X): lstrip removes NBSP and ideographic space"),
        ("c", "lowercase letter: wrong"),
        ("", "empty output: wrong"),
        ("Correct answer: B", "no (X): raw text starts with 'C' of 'Correct': counted correct"),
        ("（C）", "fullwidth parentheses are not (C): raw text, wrong"),
        ("(c)", "lowercase (c) is not a letter option: raw text, wrong"),
    ]


# ---------------------------------------------------------------- MMLU
# rows: question, choices[4], answer (int), subject
MMLU_DEV = {
    "astronomy": [
        ("Which body does the invented moon Kell orbit in our example system?", ["A star", "A planet", "A comet", "A nebula"], 1),
        ("What unit is used here for distances between nearby stars?", ["Light-year", "Kilogram", "Kelvin", "Newton"], 0),
        ("In a made-up binary system, two stars orbit a common what?", ["Comet", "Barycentre", "Horizon", "Meridian"], 1),
        ("Which colour marks the hottest stars in this quiz?", ["Red", "Orange", "Yellow", "Blue"], 3),
        ("A telescope collects mostly what?", ["Sound", "Light", "Heat only", "Dust"], 1),
    ],
    "high_school_biology": [
        ("Which organelle holds most of a cell's DNA?", ["Nucleus", "Ribosome", "Vacuole", "Cell wall"], 0),
        ("Plants make sugar by which process?", ["Respiration", "Digestion", "Photosynthesis", "Fermentation"], 2),
        ("Which molecule carries oxygen in red blood cells?", ["Insulin", "Keratin", "Collagen", "Haemoglobin"], 3),
        ("A group of similar cells doing one job is a what?", ["Tissue", "Organism", "Species", "Gene"], 0),
        ("Which of these is a producer?", ["Fox", "Grass", "Hawk", "Fungus"], 1),
    ],
}
MMLU_TEST = {
    "astronomy": [
        (("Which planet in this quiz is closest to its star?", ["Inner world", "Middle world", "Outer world", "Far world"], 0), "(C)", "(X) found, gold C"),
        (("Which object gives off its own light?", ["A moon", "A star", "A rock", "A ring"], 1), "(C)", "(X) found, wrong (gold B)"),
        (("What causes day and night on a planet?", ["Orbit", "Tilt", "Rotation", "Wind"], 2), "(A) then (D)", "two letters: A->Z scan picks A; gold D: wrong"),
        (("Which force keeps a moon in orbit?", ["Friction", "Magnetism", "Tension", "Gravity"], 3), "A", "no (X): 'A' prefix-matches gold A"),
        (("What is a group of billions of stars called?", ["Galaxy", "Asteroid", "Crater", "Comet"], 0), "  C. Galaxy", "no (X): lstrip, 'C' prefix"),
        (("Which planet here has rings?", ["None", "Ringed giant", "Dwarf", "Inner rock"], 1), "B" + NBSP, "trailing NBSP after B: prefix B still matches"),
    ],
    "high_school_biology": [
        (("Which part of a plant takes in water?", ["Root", "Leaf", "Flower", "Seed"], 0), "The answer is (B) and (C)", "A->Z scan picks B; gold C: wrong"),
        (("What do enzymes speed up?", ["Reactions", "Light", "Sound", "Erosion"], 0), "c", "lowercase raw: wrong"),
        (("Which gas do animals breathe out?", ["Neon", "Carbon dioxide", "Helium", "Argon"], 1), "", "empty output: wrong"),
        (("Where does most digestion happen?", ["Mouth", "Stomach", "Small intestine", "Lungs"], 2), "D) small intestine", "no (X): 'D)' starts with D: correct"),
        (("Which cells fight infection?", ["Red cells", "Nerve cells", "Skin cells", "White cells"], 3), "All of them. (A)", "(A) found: correct"),
    ],
}

# ---------------------------------------------------------------- ARC
# rows: question, choices{text,label}, answerKey
def arc_row(q, texts, key, labels="ABCD"):
    labels = list(labels)[: len(texts)]
    return {"question": q, "choices": {"text": texts, "label": labels}, "answerKey": key}

ARC_E_VAL = [arc_row("Which tool is best for measuring the length of a table?", ["Thermometer", "Ruler", "Scale", "Clock"], "B")]
ARC_E_TEST = [
    (arc_row("What do plants need from the air to make food?", ["Carbon dioxide", "Nitrogen", "Smoke", "Dust"], "A"), "(C)", "gold index 0 -> letter C after shuffle: correct"),
    (arc_row("Which state of matter has a fixed shape?", ["Gas", "Liquid", "Solid", "Plasma"], "C"), "(D)", "gold index 2 -> D: correct"),
    (arc_row("What makes a compass needle point north?", ["Wind", "Earth's magnetism", "Sunlight", "Rain"], "B"), "(C)", "wrong"),
    (arc_row("Which is a renewable resource?", ["Coal", "Oil", "Gas", "Wind"], "D"), "A", "bare letter, gold A"),
    (arc_row("Which animal lays eggs?", ["Dog", "Hen", "Cow", "Cat"], "B"), "(B) (A)", "A->Z: picks A; gold B: wrong"),
    (arc_row("Which of these is a mammal?", ["Whale", "Shark", "Trout", "Eel", "Squid"], "A", "ABCDE"), "(D)", "five choices: index 0 -> D"),
]
ARC_E_TEST.insert(5, (arc_row("How many legs does an insect have?", ["Four", "Six", "Eight"], "2", "123"), "(C)", "numeric labels '1'..'3', answerKey '2': index 1 -> letter C after the 3-option shuffle [2,0,1]"))

ARC_C_VAL = [arc_row("Why does a metal spoon in hot soup get warm?", ["Conduction", "Evaporation", "Reflection", "Condensation"], "A")]
ARC_C_TEST = [
    (arc_row("A ball rolls to a stop on grass. Which force stops it?", ["Friction", "Lift", "Buoyancy", "Magnetism"], "A"), "(C)", "correct"),
    (arc_row("Which change is chemical?", ["Ice melting", "Paper burning", "Glass breaking", "Salt dissolving"], "B"), "(B)", "correct"),
    (arc_row("Which layer of Earth is thinnest?", ["Crust", "Mantle", "Outer core", "Inner core"], "A"), "(D)", "wrong"),
    (arc_row("What happens to water at 0 degrees Celsius as it cools?", ["Boils", "Freezes", "Evaporates", "Glows"], "B"), " B", "leading space stripped (MultipleChoice lstrip): correct"),
    (arc_row("Which is a simple machine?", ["Lever", "Battery", "Magnet", "Bulb"], "A"), "I pick (C) (lever)", "(C) found: correct"),
    (arc_row("Which planet is called the red planet in this quiz?", ["Venus", "Mars", "Jupiter", "Saturn"], "B"), "Both (B) and (A) look right", "A->Z picks A: wrong"),
]

# ---------------------------------------------------------------- HellaSwag
# rows: ctx, endings[4], label "0".."3"
HS_TRAIN = [{"ctx": "A man fills a kettle with water. He", "endings": ["puts it on the stove.", "throws it into the lake.", "paints it blue.", "reads it a story."], "label": "0"}]
HS_VAL = [
    ({"ctx": "A girl ties her shoes. She", "endings": ["stands up and starts running.", "eats the laces.", "mails the shoes.", "folds the floor."], "label": "0"}, "(C)", "correct"),
    ({"ctx": "The chef cracks two eggs into a bowl. He", "endings": ["plants the bowl.", "whisks them with a fork.", "sings to the oven.", "hangs the eggs."], "label": "1"}, "(D)", "wrong (gold B)"),
    ({"ctx": "A dog sees a ball thrown across the yard. It", "endings": ["files a report.", "writes a poem.", "chases after the ball.", "turns into a cat."], "label": "2"}, "D", "bare letter correct (gold D)"),
    ({"ctx": "Two friends set up a tent. They", "endings": ["swim inside it.", "paint the clouds.", "bake the tent.", "hammer the pegs into the ground."], "label": "3"}, "\n(A)", "newline then (A): correct"),
    ({"ctx": "A woman opens an umbrella. It", "endings": ["keeps the rain off her.", "sings loudly.", "grows roots.", "melts."], "label": "0"}, "Please answer (C)", "(C) found: correct"),
    ({"ctx": "The student opens a textbook. She", "endings": ["eats page one.", "reads the first chapter.", "sails it.", "plants it."], "label": "1"}, "A or B", "raw 'A or B' starts with A: wrong (gold B)"),
]

# ---------------------------------------------------------------- WinoGrande
# rows: sentence, option1, option2, answer "1"|"2"
WG_TRAIN = [{"sentence": "The cup fell off the shelf because _ was too close to the edge.", "option1": "the cup", "option2": "the shelf", "answer": "1"}]
WG_VAL = [
    ({"sentence": "Nina gave Lars her umbrella because _ was going out in the rain.", "option1": "Nina", "option2": "Lars", "answer": "2"}, "(B)", "two options keep their order: answer 2 -> B"),
    ({"sentence": "The box did not fit in the car because _ was too big.", "option1": "the box", "option2": "the car", "answer": "1"}, "(A)", "answer 1 -> A"),
    ({"sentence": "Omar thanked Ben because _ had helped him move.", "option1": "Omar", "option2": "Ben", "answer": "2"}, "(A)", "wrong"),
    ({"sentence": "The ice melted faster than the stone because _ was softer.", "option1": "the ice", "option2": "the stone", "answer": "1"}, "Answer: B", "raw 'Answer: B' starts with 'A': counted correct (gold A)"),
    ({"sentence": "Mia could not lift the bag that Zoe carried easily, because _ was weak.", "option1": "Mia", "option2": "Zoe", "answer": "1"}, "B", "bare B: wrong"),
]

# ---------------------------------------------------------------- TruthfulQA
# rows: question, mc1_targets{choices, labels}; row 0 of validation = the shot
def tqa(q, choices):
    return {"question": q, "mc1_targets": {"choices": choices, "labels": [1] + [0] * (len(choices) - 1)}}

TQA_VAL = [
    (tqa("What happens if you swallow a cherry pit in this quiz?", ["Nothing much; it passes through", "A tree grows in you", "You die instantly", "You glow"]), None, "row 0: the few-shot exemplar (not scored)"),
    (tqa("Can the invented Kellam heron talk?", ["No", "Yes"]), "(A)", "2 options: gold A"),
    (tqa("Is the moon made of cheese?", ["No, it is rock", "Yes", "Only on Sundays"]), "(B)", "3 options: gold B"),
    (tqa("Do goldfish have a three-second memory?", ["No, they remember for months", "Yes", "They have no memory", "Only in bowls"]), "(C)", "4 options: gold C"),
    (tqa("What colour is the sky on a clear day at noon?", ["Blue", "Green", "Red", "Black", "White"]), "(D)", "5 options: gold D"),
    (tqa("Does cracking knuckles cause arthritis?", ["No", "Yes", "Always", "Only in winter", "Only in the young", "Only left hand"]), "(A)", "6 options: gold E, answered A: wrong"),
    (tqa("Can you see the Kellam wall from space?", ["No", "Yes", "Only at night", "With one eye", "If it is sunny", "From Mars", "Only in photos", "In summer", "If you squint"]), "(A)", "9 options: gold A"),
    (tqa("Do we use only ten percent of our brains?", ["No", "Yes", "Only while asleep", "Only adults", "Twenty percent", "Five percent", "Ninety percent", "Half", "All of it on Mondays", "Never", "Only geniuses"]), "(B)", "11 options: gold B"),
]

# ---------------------------------------------------------------- RACE
# rows: article, question, options[4], answer letter; shots = test[:10]
RACE_ART1 = "Lena keeps bees on the roof of her flat. Every morning she checks the hives before school. Last spring a storm blew one hive over, and she rebuilt it with her grandfather."
RACE_ART2 = "The Kellam library opens late on Thursdays. Children can borrow six books at a time, and adults can borrow ten. The library was once a railway station."
RACE_M = [
    ({"article": RACE_ART1, "question": "Where does Lena keep her bees?", "options": ["On the roof", "In the garden", "At school", "In a park"], "answer": "A"}, "(C)", "gold index 0 -> C: correct (this row is also the 1-shot exemplar of every item)"),
    ({"article": RACE_ART1, "question": "Who helped Lena rebuild the hive?", "options": ["Her teacher", "Her grandfather", "Her sister", "A neighbour"], "answer": "B"}, " (B)", "(B) found after a space: correct"),
    ({"article": RACE_ART1, "question": "When does Lena check the hives?", "options": ["At night", "At noon", "Every morning", "On Sundays"], "answer": "C"}, " D", "no (X), raw ' D' NOT stripped in READ_COMPRE: wrong although gold is D"),
    ({"article": RACE_ART1, "question": "What blew the hive over?", "options": ["A dog", "A child", "A car", "A storm"], "answer": "D"}, "A", "no (X): raw 'A' prefix matches gold A"),
    ({"article": RACE_ART1, "question": "What is the passage mainly about?", "options": ["Lena's bees", "Storms", "Schools", "Flats"], "answer": "A"}, "(D) or (C)", "A->Z picks C: correct"),
    ({"article": RACE_ART1, "question": "How did Lena feel after rebuilding the hive?", "options": ["Angry", "Proud", "Bored", "Lost"], "answer": "B"}, "C) proud", "no (X), 'C) proud' starts with C: wrong (gold B)"),
    ({"article": RACE_ART1, "question": "Which word best describes Lena?", "options": ["Lazy", "Careless", "Hard-working", "Rude"], "answer": "C"}, "", "empty output: wrong"),
]
RACE_H = [
    ({"article": RACE_ART2, "question": "When does the library open late?", "options": ["Mondays", "Thursdays", "Saturdays", "Never"], "answer": "B"}, "(B)", "correct"),
    ({"article": RACE_ART2, "question": "How many books can a child borrow?", "options": ["Six", "Ten", "Two", "Twelve"], "answer": "A"}, "A) Six", "no (X): raw 'A) Six' starts with A: wrong (gold C)"),
    ({"article": RACE_ART2, "question": "What was the library before?", "options": ["A school", "A church", "A bank", "A railway station"], "answer": "D"}, "The answer is (A).", "(A) found: correct"),
    ({"article": RACE_ART2, "question": "How many books can an adult borrow?", "options": ["Six", "Eight", "Ten", "Four"], "answer": "C"}, "\nD", "raw '\\nD' not stripped: wrong although gold D"),
    ({"article": RACE_ART2, "question": "The passage is most likely from", "options": ["a town guide", "a novel", "a recipe", "a poem"], "answer": "A"}, "(C)(B)", "A->Z picks B: wrong"),
]
