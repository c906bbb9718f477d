"""Original rows + canned completions: GSM8K, MATH, MGSM, LAMBADA, BBH, C-Eval, AGIEval."""
NBSP = "\u00a0"
IDEO = "\u3000"

# ---------------------------------------------------------------- GSM8K
def g(q, sol, n):
    return {"question": q, "answer": f"{sol}\n#### {n}"}

GSM8K = [
    (g("Lena has 3 hives with 4 frames each. How many frames?", "3*4=<<3*4=12>>12", "12"), "3 hives times 4 frames is 12. The answer is 12.", "'The answer is' present: first number after it"),
    (g("A ferry carries 9 cars a trip. How many in 2 trips?", "9*2=<<9*2=18>>18", "18"), "The answer is 18 cars, not 20.", "'The answer is' present: first number after the marker (18), later numbers ignored"),
    (g("Tom reads 6 pages a day for 5 days. How many pages?", "6*5=<<6*5=30>>30", "30"), "He reads 6 a day, so 6*5 = 30 pages", "no marker: last number in the output"),
    (g("A jar holds 18 sweets. How many in one jar?", "18", "18"), "The answer is 180.", "prefix rule: 180 starts with 18: counted correct"),
    (g("A shop sold 1000 pens. How many pens?", "1000", "1000"), "The answer is 1,000.", "comma: first \\d+ after the marker is '1': wrong"),
    (g("It was 5 degrees and fell by 8. What is the temperature?", "5-8=-3", "-3"), "The answer is -3.", "negative: sign ignored, '3' vs gold digits ['3']: correct"),
    (g("How many metres is 1,500 cm... in hundreds of cm?", "1,500", "1,500"), "The answer is 500.", "comma in gold splits it into ['1','500']: '500' matches the second"),
    (g("Ada has 7 apples and eats 2. How many left?", "7-2=5", "5"), "Ada has some apples left.", "no number at all: raw output prefix-matched against the gold string '5': wrong"),
    (g("What is 2 + 2?", "4", "4"), "4 apples", "no marker, no later numbers: '4'"),
    (g("How many legs do 3 hens have?", "3*2=6", "6"), "The answer is six.", "marker present but no digits after it: falls back to raw output vs gold string: wrong"),
    (g("What is 10 / 4?", "2.5", "2.5"), "The answer is 2.5", "decimal: first \\d+ after the marker is '2'; gold digits ['2','5']: '2' matches: correct"),
    (g("Count the hives: 12.", "12", "12"), "The answer is １２.", "fullwidth digits match \\d in Python: '１２' does not start with '12': wrong"),
    (g("Count the boats: 7.", "7", "7"), "We count ৭ boats; so 7", "Bengali digit matches \\d; last number is '7': correct"),
    (g("How many is 3 and 4?", "7", "7"), "The answer is 7. The answer is 9.", "two markers: split(marker)[1] keeps only the text up to the next marker"),
]

# ---------------------------------------------------------------- MATH
# rows: problem, solution (gold = last \boxed of solution, extracted by build_math.py)
def m(p, sol):
    return {"problem": p, "solution": sol}

MATH = [
    (m("What is $2+3$?", "We add: $2+3=\\boxed{5}$."), "So the sum is $\\boxed{5}$.", "\\boxed{5}"),
    (m("Simplify $\\frac{2}{4}$.", "It is $\\boxed{\\frac{1}{2}}$."), "The answer is $\\boxed{\\frac12}$.", "_fix_fracs: \\frac12 -> \\frac{1}{2}"),
    (m("Write one half as a decimal fraction.", "$\\boxed{\\frac{1}{2}}$"), "$\\boxed{0.5}$", "0.5 -> \\frac{1}{2}"),
    (m("Compute $3/4$ as a fraction.", "$\\boxed{\\frac{3}{4}}$"), "$\\boxed{3/4}$", "a/b -> \\frac{a}{b}"),
    (m("Find $x$ if $x+1=4$.", "$x=\\boxed{3}$"), "$\\boxed{x=3}$", "single '=' with short LHS: keep RHS"),
    (m("What is $\\sqrt{9}$ written as a root of 3 squared?", "$\\boxed{\\sqrt{9}}$"), "$\\boxed{\\sqrt9}$", "\\sqrt9 -> \\sqrt{9}"),
    (m("Give the angle.", "$\\boxed{90^\\circ}$"), "$\\boxed{90}$", "^\\circ removed from gold"),
    (m("Give the percent.", "$\\boxed{25\\%}$"), "$\\boxed{25}$", "\\% removed"),
    (m("Give the price.", "$\\boxed{\\$7}$"), "$\\boxed{7}$", "\\$ removed"),
    (m("Give the length.", "$\\boxed{4 \\text{ cm}}$"), "$\\boxed{4}$", "units cut at '\\text{ '"),
    (m("Give the interval.", "$\\boxed{\\left( 1, 2 \\right)}$"), "$\\boxed{(1,2)}$", "\\left/\\right and spaces removed"),
    (m("Give the decimal.", "$\\boxed{0.3}$"), "$\\boxed{.3}$", "leading '.' -> '0.'"),
    (m("Give the fraction.", "$\\boxed{\\frac{5}{6}}$"), "$\\boxed{\\dfrac{5}{6}}$", "dfrac -> frac"),
    (m("Give the set.", "$\\boxed{\\{1,2\\}}$"), "first $\\boxed{\\{1,2\\}}$ then $\\boxed{\\{1,3\\}}$", "nested braces; last \\boxed wins (wrong)"),
    (m("Give the number.", "$\\boxed{5}$"), "$\\fbox{5}$", "\\fbox{5}: last_boxed_only_string finds \\fbox but remove_boxed requires '\\boxed{'"),
    (m("Give the number.", "$\\boxed{5}$"), "5 is the answer", "no \\boxed: raw output prefix-matched against gold '5': correct"),
    (m("Give the number.", "$\\boxed{5}$"), "$\\boxed 5$", "\\boxed without brace"),
    (m("Give the number.", "$\\boxed{12}$"), "$\\boxed{123}$", "not equivalent: extracted '123' prefix-matched against gold '12': counted correct"),
    (m("Give the number.", "$\\boxed{7}$"), "$\\boxed{8}$", "wrong"),
    (m("Give the expression.", "$\\boxed{2\\!x}$"), "$\\boxed{2x}$", "\\! removed"),
    (m("Give the number.", "$\\boxed{\\tfrac{1}{3}}$"), "$\\boxed{\\frac{1}{3}}$", "tfrac -> frac"),
    (m("Unbalanced.", "$\\boxed{9}$"), "$\\boxed{9", "unbalanced brace: no boxed string"),
]

# ---------------------------------------------------------------- MGSM
# rows: question, answer_number, lang (original: TSV question<TAB>answer)
MGSM = {
    "zh": [
        ({"question": "丽娜有3个蜂箱，每个有4个框。一共有多少个框？", "answer_number": 12, "lang": "zh"}, "逐步解答：3乘4等于12。答案是 12。", "last number"),
        ({"question": "渡轮每次运9辆车，两次运多少辆？", "answer_number": 18, "lang": "zh"}, "答案是 18.0", "18.0 starts with 18: correct"),
        ({"question": "商店卖了1000支笔。", "answer_number": 1000, "lang": "zh"}, "答案是 1,000", "'1,000' does not start with '1000': wrong"),
        ({"question": "气温5度，下降8度，现在几度？", "answer_number": -3, "lang": "zh"}, "答案是 -3。", "negative number kept with its sign"),
        ({"question": "一共有多少只鸟？", "answer_number": 7, "lang": "zh"}, "不知道。", "no number: raw output used: wrong"),
        ({"question": "有几本书？", "answer_number": 12, "lang": "zh"}, "答案是１２", "fullwidth digits match \\d: '１２' vs '12': wrong"),
    ],
    "bn": [
        ({"question": "লেনার ৩টি মৌচাক আছে, প্রতিটিতে ৪টি ফ্রেম। মোট কত?", "answer_number": 12, "lang": "bn"}, "ধাপে ধাপে উত্তর: 3 × 4 = 12। উত্তর হল 12।", "last number"),
        ({"question": "নৌকা কয়টি?", "answer_number": 7, "lang": "bn"}, "উত্তর হল ৭।", "Bengali digit '৭' matches \\d but does not start with '7': wrong"),
        ({"question": "কতগুলো বই?", "answer_number": 25, "lang": "bn"}, "উত্তর 25, তারপর 3-", "lookahead (?![\\d-]) rejects the '3' before '-': the last match is '25,' (comma kept), which starts with '25'"),
        ({"question": "কত টাকা?", "answer_number": 40, "lang": "bn"}, "উত্তর ৪০ বা 40", "last match is '40'"),
    ],
    "th": [
        ({"question": "เลน่ามีรังผึ้ง 3 รัง รังละ 4 กรอบ รวมกี่กรอบ", "answer_number": 12, "lang": "th"}, "คำตอบคือ 12", "last number"),
        ({"question": "มีเรือกี่ลำ", "answer_number": 7, "lang": "th"}, "คำตอบคือ ๗", "Thai digit matches \\d: '๗' vs '7': wrong"),
        ({"question": "มีหนังสือกี่เล่ม", "answer_number": 5, "lang": "th"}, "คำตอบคือ 5.", "'5.' (dot allowed by the regex) starts with 5"),
        ({"question": "มีแมวกี่ตัว", "answer_number": 3, "lang": "th"}, "คำตอบคือ 30", "'30' starts with '3': counted correct"),
    ],
}

# ---------------------------------------------------------------- LAMBADA
# rows: text (test[:15] are the shots; scored rows are test[15:])
LAMBADA_SHOTS = [
    "The old keeper climbed the stairs every night to light the lamp at the top of the lighthouse",
    "She packed her bag, locked the door and walked to the station to catch the early train",
    "After the storm the fishermen pulled their boats up the beach and mended their torn nets",
    "The baker rose before dawn to knead the dough and light the oven for the morning bread",
    "He tuned the old violin, lifted the bow and began to play a slow and quiet song",
    "The children built a tall castle of sand and decorated it with shells and seaweed",
    "At the end of the long day the farmer finally led the tired horse back to the stable",
    "The teacher wrote the date on the board and asked the class to open their books",
    "They waited under the bridge until the rain stopped and the sun came out again",
    "The gardener watered the roses and pulled the weeds from between the stones",
    "On the top shelf of the library sat a dusty book that nobody had read in years",
    "The cat stretched, yawned and curled up again in the warm patch of sunlight",
    "Grandmother poured the tea and passed around a plate of warm ginger biscuits",
    "The captain studied the chart and told the crew to set a course for the harbour",
    "When the bell rang the pupils ran out into the yard to play in the snow",
]
LAMBADA = [
    ({"text": "The beekeeper lifted the lid slowly so she would not disturb the bees"}, " bees.", "leading space and trailing punctuation: first \\b[a-zA-Z]+\\b word"),
    ({"text": "He opened the map and traced the road with his finger"}, "A: finger", "leading 'A:' dropped"),
    ({"text": "Every winter the lake froze and the villagers went skating on the ice"}, "  \n ice cream", "first word only"),
    ({"text": "The tired traveller finally reached the inn and asked for a room"}, "Room", "case-sensitive prefix: 'Room' vs 'room' wrong"),
    ({"text": "She poured the milk into a small bowl for the kitten"}, "kittens", "prefix match: 'kittens' starts with 'kitten': correct"),
    ({"text": "The waiter brought them two cups of strong black coffee"}, "caf\u00e9", "Python's \\b is Unicode-aware: no boundary between 'f' and 'é', so no ASCII-only word; the whole stripped text 'café' is kept: wrong (gold coffee)"),
    ({"text": "In the morning they sat outside the little café"}, "café", "no ASCII-only word in 'café' (Unicode \\b): whole text kept and equals gold 'café': correct"),
    ({"text": "He counted the coins twice and found exactly forty"}, "40", "no ASCII word: whole (stripped) text used: wrong"),
    ({"text": "The sailor tied the rope around the heavy iron anchor"}, NBSP + "anchor" + IDEO, "strip removes NBSP/ideographic space"),
    ({"text": "The choir sang loudly in the old stone church"}, "", "empty output: wrong"),
    ({"text": "She opened the window to let in the cool evening breeze"}, "A:breeze", "'A:' removed without a space"),
]

# ---------------------------------------------------------------- BBH
# rows: input, target, task (targets in lukaemon/bbh format)
BBH = {
    "boolean_expressions": [
        ({"input": "not ( True and False ) is", "target": "True"}, "not (True and False) = not False = True. So the answer is True.", "marker split, trailing period kept: 'True.' starts with 'True'"),
        ({"input": "True or not True is", "target": "True"}, "True or False = True. So the answer is False.", "wrong"),
        ({"input": "False and ( not False ) is", "target": "False"}, "It is False.", "no marker: whole output stripped: 'It is False.' wrong"),
        ({"input": "not not False is", "target": "False"}, "So the answer is False. So the answer is True.", "two markers: text between them"),
        ({"input": "( False or True ) and True is", "target": "True"}, "Let me see. So the answer is  True" + NBSP, "strip removes spaces and NBSP"),
    ],
    "date_understanding": [
        ({"input": "Today is 03/05/2021. What is the date tomorrow in MM/DD/YYYY?\nOptions:\n(A) 03/06/2021\n(B) 03/04/2021\n(C) 04/05/2021", "target": "(A)"}, "Tomorrow is 03/06/2021. So the answer is (A).", "(A). starts with (A)"),
        ({"input": "Yesterday was 12/31/2020. What is today in MM/DD/YYYY?\nOptions:\n(A) 12/30/2020\n(B) 01/01/2021\n(C) 01/02/2021", "target": "(B)"}, "So the answer is B.", "bare letter without parens: wrong"),
        ({"input": "Today is 01/10/2022. What was the date a week ago?\nOptions:\n(A) 01/03/2022\n(B) 01/17/2022", "target": "(A)"}, "So the answer is (B) or (A).", "no letter scan in BBH: '(B) or (A).' wrong"),
    ],
    "object_counting": [
        ({"input": "I have a lamp, two chairs, and a table. How many objects do I have?", "target": "4"}, "1 + 2 + 1 = 4. So the answer is 4.", "number target"),
        ({"input": "I have three apples and a pear. How many fruits do I have?", "target": "4"}, "So the answer is 40.", "prefix: '40' starts with '4': counted correct"),
        ({"input": "I have a drum and a flute. How many instruments do I have?", "target": "2"}, "So the answer is two.", "word vs digit: wrong"),
    ],
}

# ---------------------------------------------------------------- C-Eval
# rows: question, A, B, C, D, answer, explanation, subject (val = test set, dev = shots)
def ce(q, a, b, c, d, ans, exp=""):
    return {"question": q, "A": a, "B": b, "C": c, "D": d, "answer": ans, "explanation": exp}

CEVAL_DEV = {
    "high_school_physics": [
        ce("光在真空中的速度约为多少？", "3×10^8 m/s", "340 m/s", "3×10^5 m/s", "1 m/s", "A", "光速约为3×10^8 m/s。"),
        ce("力的单位是什么？", "焦耳", "牛顿", "瓦特", "帕斯卡", "B", "力的单位是牛顿。"),
        ce("下列哪个是矢量？", "质量", "时间", "速度", "温度", "C", "速度有方向。"),
        ce("自由落体的加速度约为？", "1 m/s²", "5 m/s²", "20 m/s²", "9.8 m/s²", "D", "g约为9.8。"),
        ce("电流的单位是？", "安培", "伏特", "欧姆", "库仑", "A", "安培。"),
    ],
    "modern_chinese_history": [
        ce("本测验中，凯拉姆桥建于哪一年？", "1894年", "1900年", "1911年", "1921年", "A", "题目设定为1894年。"),
        ce("本测验中的渡轮叫什么？", "海鸥号", "苍鹭号", "海豚号", "白鹭号", "B", "设定。"),
        ce("本测验中图书馆原来是什么？", "学校", "教堂", "火车站", "银行", "C", "设定。"),
        ce("本测验中灯塔是什么颜色？", "蓝色", "绿色", "黄色", "红色", "D", "设定。"),
        ce("本测验中磨坊在哪一年关闭？", "1922年", "1930年", "1940年", "1950年", "A", "设定。"),
    ],
}
CEVAL_VAL = {
    "high_school_physics": [
        (ce("声音在空气中的速度约为？", "340 m/s", "3×10^8 m/s", "1 m/s", "10 m/s", "A"), "(C)", "first (X) by position: C = gold (A -> C after shuffle)"),
        (ce("功的单位是？", "牛顿", "焦耳", "安培", "伏特", "B"), "(D)后来改为(B)", "regex takes the FIRST (X) by position (D), not A->Z: wrong"),
        (ce("下列哪个是标量？", "位移", "速度", "质量", "加速度", "C"), "所以答案是 (D)", "marker with trailing space, then (D): correct"),
        (ce("电压的单位是？", "安培", "欧姆", "瓦特", "伏特", "D"), "所以答案是(A)", "marker without the space is not the marker; regex finds (A) anyway: correct"),
        (ce("电阻的单位是？", "欧姆", "安培", "伏特", "瓦特", "A"), " C", "no (X): raw, lstrip: 'C' correct"),
        (ce("能量的单位是？", "瓦特", "焦耳", "牛顿", "帕斯卡", "B"), IDEO + "B", "ideographic space stripped by lstrip: correct"),
    ],
    "modern_chinese_history": [
        (ce("本测验中桥的工程师是谁？", "托马斯", "丽娜", "艾达", "伊尔丝", "A"), "所以答案是 C 所以答案是 (A)", "split(marker)[1] keeps only ' C ' up to the next marker; lstrip -> 'C ': correct"),
        (ce("本测验中的市长是谁？", "托马斯", "丽娜", "艾达", "伊尔丝", "B"), "答案：B", "raw text starts with '答': wrong"),
        (ce("本测验中有几艘渡轮停运？", "一艘", "三艘", "两艘", "四艘", "C"), "（D）", "fullwidth parentheses: no match: wrong"),
        (ce("本测验中交通增长了多少？", "1%", "2%", "5%", "3.5%", "D"), "(A)", "gold index 3 -> A after the shuffle: correct"),
    ],
}

# ---------------------------------------------------------------- AGIEval
# official AGIEval rows (passage, question, options, label, answer, other) + task
def ag(q, options=None, label=None, answer=None, passage=None):
    return {"passage": passage, "question": q, "options": options, "label": label, "answer": answer, "other": None}

AG_EN = {
    "lsat-ar": [
        (ag("Five friends sit in a row. Ada sits at one end. Which must be true?", ["(A)Ada is first or fifth", "(B)Ada is third", "(C)Ada is second", "(D)Ada is fourth", "(E)None"], "A", passage="Five friends, Ada, Ben, Cy, Di and Ed, sit in a row of five seats."), "(A)", "MC (X) found"),
        (ag("If Ben sits next to Ada, where can Ben sit?", ["(A)First", "(B)Third", "(C)Second or fourth", "(D)Fifth", "(E)Anywhere"], "C", passage="Five friends, Ada, Ben, Cy, Di and Ed, sit in a row of five seats."), "(E) or (C)", "A->Z: C wins over E"),
        (ag("Which seat can Cy not take?", ["(A)First", "(B)Second", "(C)Third", "(D)Fourth", "(E)Fifth"], "B"), " B", "no (X): raw ' B' is NOT stripped in AGIEVAL: wrong"),
        (ag("How many seat orders are possible?", ["(A)2", "(B)12", "(C)24", "(D)48", "(E)120"], "D"), "D", "no (X): raw 'D': correct"),
    ],
    "sat-math": [
        (ag("If 2x + 3 = 11, what is x?", ["(A)3", "(B)4", "(C)5", "(D)7"], "B"), "The answer is (B) 4", "(B) found"),
        (ag("What is 15% of 40?", ["(A)4", "(B)5", "(C)6", "(D)8"], "C"), "(c) 6", "lowercase (c) not an option: raw '(c) 6': wrong"),
        (ag("Which is prime?", ["(A)9", "(B)15", "(C)21", "(D)23"], "D"), "", "empty: wrong"),
    ],
    "math": [
        (ag("What is $3^2$?", answer="9"), "9", "Cloze: raw output starts with answer"),
        (ag("Simplify $\\frac{4}{8}$.", answer="\\frac{1}{2}"), "\\frac{1}{2} is the answer", "Cloze: prefix"),
        (ag("What is $10-4$?", answer="6"), " 6", "Cloze: leading space not stripped: wrong"),
        (ag("Write one half as a decimal.", answer="0.5"), "\\frac{1}{2}", "Cloze: no normalisation: wrong"),
    ],
}
AG_ZH = {
    "gaokao-history": [
        (ag("本测验中，凯拉姆桥建于哪一年？", ["(A)1894年", "(B)1900年", "(C)1911年", "(D)1921年"], "A"), "(A)", "MC"),
        (ag("本测验中灯塔是什么颜色？", ["(A)蓝色", "(B)绿色", "(C)黄色", "(D)红色"], "D"), "答案是D", "no (X): raw text: wrong"),
        (ag("本测验中图书馆原来是什么？", ["(A)学校", "(B)教堂", "(C)火车站", "(D)银行"], "C"), "(D)(C)", "A->Z: C"),
    ],
    "jec-qa-kd": [
        (ag("本测验中，下列哪些说法正确？", ["(A)甲", "(B)乙", "(C)丙", "(D)丁"], ["A", "C"]), "(C)(A)", "IMC: sorted letters 'A,C' = gold"),
        (ag("本测验中，下列哪些说法正确？", ["(A)甲", "(B)乙", "(C)丙", "(D)丁"], ["B"]), "(B)和(D)", "IMC: 'B,D' vs 'B': prefix 'B,D' starts with 'B': counted correct"),
        (ag("本测验中，下列哪些说法正确？", ["(A)甲", "(B)乙", "(C)丙", "(D)丁"], ["A", "B"]), "(A)", "IMC: 'A' vs 'A,B': wrong"),
        (ag("本测验中，下列哪项说法正确？", ["(A)甲", "(B)乙", "(C)丙", "(D)丁"], []), "(B)", "IMC: empty gold list: expected '' and every output starts with '': correct"),
        (ag("本测验中，下列哪项说法正确？", ["(A)甲", "(B)乙", "(C)丙", "(D)丁"], "D"), "(D)", "IMC: string label is wrapped in a list"),
    ],
    "gaokao-mathcloze": [
        (ag("计算 $2+2$。", answer="4"), "4", "Cloze"),
        (ag("计算 $5 \\times 5$。", answer="25"), "答案是25", "Cloze: raw must start with the answer: wrong"),
    ],
}
# Our own AGIEval-style few-shot prompts (3 per task), in the layout of
# AGIEval's few_shot_prompts.csv: header row, then context/explanation rows.
AG_SHOTS = {
    "lsat-ar": [
        (ag("Three friends sit in a row. Cy sits in the middle. Who is at an end?", ["(A)Cy", "(B)Ada or Ben", "(C)Nobody", "(D)All", "(E)Cy and Ada"], "B", passage="Three friends, Ada, Ben and Cy, sit in three seats."), "Cy is in the middle, so the ends are Ada and Ben."),
        (ag("How many orders put Cy in the middle?", ["(A)1", "(B)2", "(C)3", "(D)6", "(E)0"], "B"), "Ada and Ben can swap, so 2."),
        (ag("Which seat can Ada take?", ["(A)Only first", "(B)Only middle", "(C)First or last", "(D)None", "(E)All"], "C"), "The middle is taken by Cy.\n\nSo Ada is first or last."),
    ],
    "sat-math": [
        (ag("If x + 2 = 5, what is x?", ["(A)1", "(B)2", "(C)3", "(D)7"], "C"), "x = 5 - 2 = 3."),
        (ag("What is 10% of 50?", ["(A)5", "(B)10", "(C)15", "(D)50"], "A"), "0.1 * 50 = 5."),
        (ag("What is 2 cubed?", ["(A)6", "(B)8", "(C)9", "(D)4"], "B"), "2*2*2 = 8."),
    ],
    "math": [
        (ag("What is $2^3$?", answer="8"), "2*2*2 = 8."),
        (ag("What is $7+5$?", answer="12"), "7+5 = 12."),
        (ag("Simplify $\\frac{2}{6}$.", answer="\\frac{1}{3}"), "Divide by 2."),
    ],
    "gaokao-history": [
        (ag("本测验中，渡轮叫什么？", ["(A)海鸥号", "(B)苍鹭号", "(C)海豚号", "(D)白鹭号"], "B"), "题目设定为苍鹭号。"),
        (ag("本测验中，市长是谁？", ["(A)托马斯", "(B)丽娜", "(C)艾达", "(D)伊尔丝"], "B"), "题目设定为丽娜。"),
        (ag("本测验中，磨坊在哪一年关闭？", ["(A)1922年", "(B)1930年", "(C)1940年", "(D)1950年"], "A"), "题目设定为1922年。"),
    ],
    "jec-qa-kd": [
        (ag("本测验中，下列哪些是水果？", ["(A)苹果", "(B)石头", "(C)梨", "(D)铁"], ["A", "C"]), "苹果和梨是水果。"),
        (ag("本测验中，下列哪项是动物？", ["(A)桌子", "(B)猫", "(C)书", "(D)灯"], ["B"]), "猫是动物。"),
        (ag("本测验中，下列哪项是颜色？", ["(A)红", "(B)桌", "(C)椅", "(D)门"], "A"), "红是颜色。"),
    ],
    "gaokao-mathcloze": [
        (ag("计算 $3+4$。", answer="7"), "3+4=7。"),
        (ag("计算 $6 \\times 2$。", answer="12"), "6乘2等于12。"),
        (ag("计算 $9-5$。", answer="4"), "9减5等于4。"),
    ],
}
