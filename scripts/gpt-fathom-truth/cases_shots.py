"""Our own (original) CoT exemplars in GPT-Fathom's few-shot file format.

GPT-Fathom's GSM8K (Wei et al.), MATH (Minerva) and MGSM (url-nlp) exemplars
have no licence we could confirm (see benchmarks/shots/LICENSES.md), so the
shipped prompt vectors and sample sets use these instead. make_truth.py
writes them over registry/data/{gsm8k,math,mgsm}/fewshot*.jsonl in its scratch
copy after running the build scripts; pass --faithful-shots to keep
GPT-Fathom's own exemplars (for local checks only; do not commit the output).
"""

def _g(q, steps, n):
    return {"question": q + "\n", "answer": "Let's think step by step\n" + steps + f"\nThe answer is {n}.\n\n"}

GSM8K_SHOTS = [
    _g("A baker makes 4 trays of 6 rolls. How many rolls?", "Each tray has 6 rolls and there are 4 trays.\n4 * 6 = 24.", 24),
    _g("Mia had 10 stamps and gave away 3. How many are left?", "She started with 10 and gave away 3.\n10 - 3 = 7.", 7),
    _g("A bus has 12 people. 5 get off and 2 get on. How many now?", "12 - 5 = 7 people stay.\n7 + 2 = 9.", 9),
    _g("Pens cost 2 dollars each. How much do 8 pens cost?", "Each pen is 2 dollars.\n8 * 2 = 16.", 16),
    _g("A rope is 30 m long and is cut into 5 equal parts. How long is each part?", "30 / 5 = 6.", 6),
    _g("Sam walks 3 km a day for 7 days. How far does he walk?", "3 * 7 = 21.", 21),
    _g("A box holds 9 eggs. 4 break. How many are whole?", "9 - 4 = 5.", 5),
    _g("Ana has 3 bags of 5 apples and buys 2 more apples. How many apples?", "3 * 5 = 15.\n15 + 2 = 17.", 17),
]

def _m(q, sol, ans):
    return {"question": q, "answer": sol + f" $\\boxed{{{ans}}}$.\nFinal Answer: The final answer is ${ans}$. I hope it is correct."}

MATH_SHOTS = [
    _m("What is $\\frac{3}{6}$ in lowest terms?", "Divide top and bottom by 3 to get", "\\frac{1}{2}"),
    _m("Solve $2x + 4 = 10$.", "Subtract 4 to get $2x = 6$, so $x = 3$. The answer is", "3"),
    _m("What is $5^2 - 4^2$?", "$25 - 16 = 9$, so the answer is", "9"),
    _m("How many positive divisors does 12 have?", "They are 1, 2, 3, 4, 6, 12, so there are", "6"),
]

_ZH = [("丽娜有2个苹果，又买了3个。她有几个苹果？", "2 + 3 = 5。", 5), ("一本书10元，买3本要多少元？", "10 × 3 = 30。", 30),
       ("有12只鸟，飞走了4只。还剩几只？", "12 - 4 = 8。", 8), ("每盒6支笔，4盒有几支？", "6 × 4 = 24。", 24),
       ("20块糖平分给5个孩子，每人几块？", "20 ÷ 5 = 4。", 4), ("汤姆有7张卡，又得到6张。一共几张？", "7 + 6 = 13。", 13)]
_BN = [("লেনার ২টি আপেল ছিল, সে আরও 3টি কিনল। এখন কয়টি?", "2 + 3 = 5।", 5), ("একটি বই 10 টাকা। 3টি বইয়ের দাম কত?", "10 × 3 = 30।", 30),
       ("12টি পাখি ছিল, 4টি উড়ে গেল। কয়টি রইল?", "12 - 4 = 8।", 8), ("প্রতি বাক্সে 6টি কলম। 4টি বাক্সে কয়টি?", "6 × 4 = 24।", 24),
       ("20টি মিষ্টি 5 জনকে সমান ভাগ করলে প্রত্যেকে কয়টি পায়?", "20 ÷ 5 = 4।", 4), ("টমের 7টি কার্ড ছিল, সে আরও 6টি পেল। মোট কয়টি?", "7 + 6 = 13।", 13)]
_TH = [("ลีนามีแอปเปิล 2 ผล ซื้อเพิ่ม 3 ผล มีกี่ผล", "2 + 3 = 5", 5), ("หนังสือเล่มละ 10 บาท 3 เล่มราคาเท่าไร", "10 × 3 = 30", 30),
       ("มีนก 12 ตัว บินไป 4 ตัว เหลือกี่ตัว", "12 - 4 = 8", 8), ("กล่องละ 6 แท่ง 4 กล่องมีกี่แท่ง", "6 × 4 = 24", 24),
       ("ลูกอม 20 เม็ดแบ่งให้เด็ก 5 คนเท่ากัน ได้คนละกี่เม็ด", "20 ÷ 5 = 4", 4), ("ทอมมีการ์ด 7 ใบ ได้เพิ่ม 6 ใบ มีทั้งหมดกี่ใบ", "7 + 6 = 13", 13)]

MGSM_SHOTS = {
    "zh": [{"question": "问题：" + q, "answer": "逐步解答：" + s + f"答案是 {n}。"} for q, s, n in _ZH],
    "bn": [{"question": "প্রশ্ন: " + q, "answer": "ধাপে ধাপে উত্তর: " + s + f" উত্তর হল {n}।"} for q, s, n in _BN],
    "th": [{"question": "โจทย์: " + q, "answer": "คำตอบทีละขั้นตอน: " + s + f" คำตอบคือ {n}"} for q, s, n in _TH],
}
