"""The benchmark archive's text: bodies, titles, people and references that behave like a
clinical journal's, so that search is measured on realistic word statistics.

Body words are drawn from English word frequencies (the wordfreq package: a Zipf curve over
some 60,000 words), mixed with a general oncology vocabulary and a clinical lexicon generated
here (thousands of drug names built from INN stems, diseases, adverse events, biomarkers and
trial acronyms). Each article draws its clinical terms mostly from its own topics' lexicon, so
a term is frequent where it belongs ("breast cancer" in breast-cancer articles) and rare
elsewhere. Everything is deterministic for a given seed.

The HTML is what articles.sanitizer.sanitize_html keeps unchanged, and body_html (citations
linked) is rendered here directly: archive.py checks both against the site's own code on a
sample of every build.
"""

import numpy as np


def _list(text: str, separator: str | None = None) -> list[str]:
    return text.split(separator)


# The site's topics: the bench's search queries name several of them.
CLINICAL = [
    "breast cancer",
    "lymphoma",
    "leukemia",
    "myeloma",
    "melanoma",
    "lung cancer",
    "prostate cancer",
    "colorectal cancer",
    "ovarian cancer",
    "neutropenia",
    "anemia",
    "thrombocytopenia",
    "infection",
    "nausea",
    "mucositis",
    "neuropathy",
    "cardiotoxicity",
    "hepatotoxicity",
    "nephrotoxicity",
    "tumor lysis syndrome",
    "cytokine release syndrome",
    "immunotherapy",
    "chemotherapy",
    "targeted therapy",
    "biosimilars",
    "adherence",
    "drug interactions",
    "dosing",
    "pharmacokinetics",
    "survivorship",
    "palliative care",
    "oral oncolytics",
    "stem cell transplant",
    "CAR T-cell therapy",
    "checkpoint inhibitors",
    "antibody-drug conjugates",
    "CDK4/6 inhibitors",
    "BTK inhibitors",
    "PARP inhibitors",
    "tyrosine kinase inhibitors",
]
# Real names the bench's "rare word" queries use; each lives in its topics' lexicon only.
RARE = {
    "zanubrutinib": ("BTK inhibitors", "lymphoma"),
    "talquetamab": ("myeloma",),
    "mirvetuximab": ("ovarian cancer", "antibody-drug conjugates"),
    "epcoritamab": ("lymphoma",),
    "tarlatamab": ("lung cancer",),
}
# INN stems: the suffix names the class, the class the topics that use it.
SUFFIXES = {
    "ciclib": ("breast cancer", "CDK4/6 inhibitors"),
    "trozole": ("breast cancer",),
    "zumab": ("breast cancer", "cardiotoxicity", "biosimilars"),
    "taxel": ("breast cancer", "neuropathy", "chemotherapy", "prostate cancer"),
    "parib": ("PARP inhibitors", "ovarian cancer", "prostate cancer", "breast cancer"),
    "ximab": ("lymphoma", "colorectal cancer", "biosimilars", "infection"),
    "lisib": ("lymphoma", "targeted therapy", "hepatotoxicity"),
    "brutinib": ("BTK inhibitors", "lymphoma", "leukemia", "oral oncolytics"),
    "tamab": ("myeloma", "lymphoma", "cytokine release syndrome", "lung cancer"),
    "tinib": ("tyrosine kinase inhibitors", "leukemia", "lung cancer", "oral oncolytics"),
    "sidenib": ("leukemia", "targeted therapy"),
    "toclax": ("leukemia", "tumor lysis syndrome"),
    "zomib": ("myeloma", "neuropathy", "cardiotoxicity"),
    "lidomide": ("myeloma", "oral oncolytics", "stem cell transplant"),
    "mumab": ("myeloma", "infection", "immunotherapy"),
    "rafenib": ("melanoma", "targeted therapy", "colorectal cancer"),
    "metinib": ("melanoma", "targeted therapy"),
    "lumab": ("checkpoint inhibitors", "immunotherapy", "melanoma", "lung cancer"),
    "limab": ("checkpoint inhibitors", "immunotherapy", "melanoma"),
    "platin": ("chemotherapy", "lung cancer", "ovarian cancer", "nephrotoxicity", "nausea"),
    "rubicin": ("chemotherapy", "cardiotoxicity", "breast cancer", "lymphoma"),
    "tecan": ("colorectal cancer", "antibody-drug conjugates", "chemotherapy"),
    "abine": ("chemotherapy", "leukemia", "mucositis", "oral oncolytics"),
    "lutamide": ("prostate cancer", "oral oncolytics", "drug interactions"),
    "grastim": ("neutropenia", "biosimilars", "stem cell transplant"),
    "poetin": ("anemia", "biosimilars"),
    "setron": ("nausea",),
    "pitant": ("nausea", "drug interactions"),
    "degib": ("targeted therapy", "leukemia"),
    "vedotin": ("antibody-drug conjugates", "lymphoma", "neuropathy"),
    "conazole": ("infection", "drug interactions", "stem cell transplant"),
    "cabtagene": ("CAR T-cell therapy", "cytokine release syndrome", "lymphoma"),
    "rasib": ("lung cancer", "colorectal cancer", "targeted therapy"),
    "tuzumab": ("breast cancer", "antibody-drug conjugates", "cardiotoxicity"),
}
ONSETS = _list(
    "a ab ac al am an ar as at av ba be bi bo bu ca ce ci co cu da de di do du e el em en ep "
    "er es ev fa fe fi fo ga ge gi go ha he hi i il im in ir is la le li lo lu ma me mi mo mu "
    "na ne ni no nu o ob ol om on or os pa pe pi po pu qui ra re ri ro ru sa se si so su ta te "
    "ti to tu u ur va ve vi vo xa xe za ze zi zo"
)
MIDDLES = _list(
    "ba bre ca da de fa ga ge la le li lo ma me mi na ne ni no pa ra re ri ro sa ta te ti to "
    "tra va vi xi za zo"
)

# Words of any oncology article, most frequent first (a Zipf curve within this list).
DOMAIN = _list(
    "patients treatment therapy clinical dose survival response median months trial "
    "study grade adverse events risk toxicity efficacy safety phase regimen progression overall "
    "disease tumor randomized cohort baseline hazard ratio interval placebo arm oncology cancer "
    "pharmacist dosing monitoring management receiving treated associated incidence rate "
    "outcomes chemotherapy infusion oral administration cycle cycles day days weeks daily "
    "combination monotherapy standard care guidelines recommendations evidence data analysis "
    "endpoint primary secondary patient reported quality life symptoms laboratory serum "
    "levels renal hepatic function impairment discontinuation reduction interruption "
    "hematologic nonhematologic serious fatal hospitalization infections prophylaxis "
    "supportive premedication hypersensitivity reactions infusion-related fatigue diarrhea "
    "rash pyrexia cough edema arthralgia hypertension proteinuria hyperglycemia "
    "hypothyroidism pneumonitis colitis hepatitis transaminase bilirubin creatinine clearance "
    "pharmacokinetic exposure half-life metabolism inhibitor inducer substrate interaction "
    "concomitant approval indication label accelerated confirmatory biomarker expression "
    "mutation positive negative refractory relapsed newly diagnosed advanced metastatic "
    "early-stage adjuvant neoadjuvant maintenance first-line second-line subsequent prior "
    "lines institution retrospective prospective multicenter open-label double-blind "
    "real-world population eligible enrolled criteria characteristics demographics "
    "performance status ECOG stage histology subtype remission minimal residual "
    "hematology oncologist nurse multidisciplinary education counseling adherence cost "
    "reimbursement access formulary specialty pharmacy"
)
DISEASES = _list(
    "acute myeloid leukemia|acute lymphoblastic leukemia|chronic lymphocytic leukemia|"
    "chronic myeloid leukemia|diffuse large B-cell lymphoma|follicular lymphoma|"
    "mantle cell lymphoma|marginal zone lymphoma|Hodgkin lymphoma|Waldenström macroglobulinemia|"
    "multiple myeloma|myelodysplastic syndromes|myelofibrosis|polycythemia vera|"
    "essential thrombocythemia|non-small cell lung cancer|small cell lung cancer|"
    "triple-negative breast cancer|hormone receptor-positive breast cancer|"
    "HER2-positive breast cancer|metastatic castration-resistant prostate cancer|"
    "hepatocellular carcinoma|renal cell carcinoma|urothelial carcinoma|gastric cancer|"
    "pancreatic adenocarcinoma|cholangiocarcinoma|glioblastoma|head and neck cancer|"
    "cervical cancer|endometrial cancer|thyroid cancer|mesothelioma|sarcoma|"
    "gastrointestinal stromal tumor|neuroendocrine tumors|Merkel cell carcinoma|"
    "cutaneous squamous cell carcinoma|basal cell carcinoma|amyloidosis|"
    "graft-versus-host disease|sickle cell disease|hemophilia|immune thrombocytopenia|"
    "aplastic anemia|iron deficiency anemia|venous thromboembolism|pulmonary embolism|"
    "deep vein thrombosis|febrile neutropenia|hypercalcemia of malignancy|"
    "chemotherapy-induced nausea and vomiting|peripheral neuropathy|hand-foot syndrome|"
    "interstitial lung disease|QT prolongation|left ventricular dysfunction|heart failure|"
    "atrial fibrillation|hemorrhage|hypokalemia|hypomagnesemia|hyperuricemia|"
    "acute kidney injury|hepatic veno-occlusive disease|differentiation syndrome|"
    "immune effector cell-associated neurotoxicity syndrome|hemophagocytic lymphohistiocytosis|"
    "progressive multifocal leukoencephalopathy|hepatitis B reactivation|cytomegalovirus|"
    "invasive fungal infection|Pneumocystis pneumonia|herpes zoster|COVID-19|sepsis|"
    "bacteremia|Clostridioides difficile infection|osteonecrosis of the jaw|alopecia|"
    "stomatitis|dysgeusia|anorexia|cachexia|insomnia|depression|anxiety|cognitive impairment|"
    "fatigue|pain|constipation|dermatitis|pruritus|photosensitivity|ocular toxicity|keratitis|"
    "infusion reactions|anaphylaxis|extravasation|hypogammaglobulinemia|lymphopenia|"
    "leukopenia|pancytopenia|hemolytic anemia|bone marrow suppression|secondary malignancy|"
    "fertility preservation|bone metastases|brain metastases|spinal cord compression|"
    "superior vena cava syndrome|malignant pleural effusion|ascites|dysphagia|xerostomia",
    "|",
)
BIOMARKERS = _list(
    "EGFR HER2 BRCA1 BRCA2 ALK ROS1 KRAS NRAS BRAF MET RET NTRK PD-L1 FLT3 IDH1 IDH2 NPM1 TP53 "
    "BCR-ABL1 JAK2 CALR MPL BCMA GPRC5D CD19 CD20 CD22 CD30 CD33 CD38 DLL3 FRα TROP2 PIK3CA "
    "ESR1 AR PSMA MSI-H dMMR TMB HRD ATM CDK12 MYD88 CXCR4 del(17p) t(11;14) IGHV ctDNA"
)
SECTIONS = [
    ("Original Article", True),
    ("Review Article", True),
    ("Case Reports", True),
    ("Clinical Trials", True),
    ("HOPA Abstracts", True),
    ("FDA Oncology Update", False),
    ("From the Literature", False),
    ("HOPA Highlights", False),
    ("Year in Review", False),
    ("Commentary", False),
]
RESEARCH_HEADINGS = [
    ("Introduction", "Background"),
    ("Methods", "Patients and Methods", "Study Design and Methods"),
    ("Results",),
    ("Discussion",),
    ("Conclusion", "Conclusions"),
]
CASE_HEADINGS = [("Introduction",), ("Case Presentation",), ("Discussion",), ("Conclusion",)]
NEWS_HEADINGS = _list(
    "Efficacy|Safety Profile|Dosing and Administration|Clinical Implications|Study Design|"
    "Warnings and Precautions|Pharmacist Considerations|What This Means for Practice|"
    "Patient Education|Key Findings|Drug Interactions|Special Populations",
    "|",
)

GIVEN = _list(
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Christopher Karen Daniel Lisa Matthew Nancy "
    "Anthony Betty Mark Sandra Donald Margaret Steven Ashley Andrew Kimberly Paul Emily Joshua "
    "Donna Kenneth Michelle Kevin Carol Brian Amanda George Melissa Timothy Deborah Ronald "
    "Stephanie Jason Rebecca Edward Sharon Jeffrey Laura Ryan Cynthia Jacob Amy Gary Kathleen "
    "Nicholas Angela Eric Shirley Jonathan Brenda Stephen Emma Larry Anna Justin Pamela Scott "
    "Nicole Brandon Samantha Benjamin Katherine Samuel Christine Gregory Rachel Alexander "
    "Catherine Patrick Heather Frank Diane Raymond Olivia Jack Julie Dennis Joyce Jerry "
    "Victoria Tyler Kelly Aaron Christina Jose Lauren Adam Joan Nathan Evelyn Henry Judith "
    "Zachary Megan Douglas Andrea Peter Cheryl Kyle Hannah Noah Jacqueline Ethan Martha "
    "Jeremy Madison Walter Teresa Christian Gloria Keith Sara Roger Janice Terry Ann Austin "
    "Kathryn Sean Abigail Gerald Sophia Carl Frances Harold Jean Dylan Alice Arthur Judy "
    "Lawrence Isabella Jordan Julia Jesse Grace Bryan Amber Billy Denise Bruce Danielle Gabriel "
    "Marilyn Joe Beverly Logan Charlotte Alan Natalie Juan Theresa Albert Diana Willie Brittany "
    "Elijah Doris Wayne Kayla Randy Alexis Vincent Lori Mason Marie Roy Ralph "
    "Wei Li Jing Hui Xiaoming Yan Lei Fang Jun Ying Min Hao Tao Mei Chen Yuki Hiroshi Kenji "
    "Akiko Takeshi Naoko Haruto Sakura Minjun Jiwoo Seoyeon Hyun Sung Priya Raj Anil Sunita "
    "Arjun Deepa Vikram Kavita Rahul Ananya Sanjay Neha Amit Pooja Ravi Lakshmi Ahmed Fatima "
    "Mohammed Aisha Omar Layla Hassan Yasmin Ali Mariam Khalid Noor Tariq Leila Mehmet Elif "
    "Emre Zeynep Carlos Maria Luis Ana Jorge Sofia Miguel Lucia Javier Carmen Diego Valentina "
    "Alejandro Gabriela Fernando Isabel Pablo Camila Andres Paula Rafael Daniela Giovanni "
    "Giulia Marco Francesca Luca Chiara Matteo Elena Pierre Camille Louis Chloe Antoine Claire "
    "Nicolas Manon Hans Greta Klaus Ingrid Stefan Anke Lukas Katrin Lars Astrid Erik Sigrid "
    "Olaf Maja Piotr Agnieszka Tomasz Katarzyna Pavel Olga Dmitri Natalia Ivan Irina Sergei "
    "Svetlana Chidi Ngozi Kwame Ama Oluwaseun Adaeze Tendai Thandiwe Kofi Abena Sipho Zanele "
    "Nguyen Linh Minh Thu Duc Hoa Siddharth Meera Arash Shirin Dariusz Oksana Mateus Beatriz"
)
FAMILY = _list(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White "
    "Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres "
    "Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts "
    "Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales "
    "Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos "
    "Kim Cox Ward Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes "
    "Price Alvarez Castillo Sanders Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry "
    "Russell Sullivan Bell Coleman Butler Henderson Barnes Gonzales Fisher Vasquez Simmons "
    "Romero Jordan Patterson Alexander Hamilton Graham Reynolds Griffin Wallace Moreno West "
    "Cole Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro "
    "Marshall Owens Harrison Fernandez McDonald Woods Washington Kennedy Wells Vargas Henry "
    "Chen Freeman Webb Tucker Guzman Burns Crawford Olson Simpson Porter Hunter Gordon Mendez "
    "Silva Shaw Snyder Mason Dixon Munoz Hunt Hicks Holmes Palmer Wagner Black Robertson Boyd "
    "Rose Stone Salazar Fox Warren Mills Meyer Rice Schmidt Garza Daniels Ferguson Nichols "
    "Stephens Soto Weaver Ryan Gardner Payne Grant Dunn Kelley Spencer Hawkins Arnold Pierce "
    "Hansen Peters Santos Hart Bradley Knight Elliott Cunningham Duncan Armstrong Hudson "
    "Carroll Lane Riley Andrews Ray Berry Perkins Hoffman Johnston Matthews Pena Richards "
    "Wang Li Zhang Liu Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo Lin He Gao Luo Zheng "
    "Tanaka Suzuki Sato Takahashi Watanabe Ito Yamamoto Nakamura Kobayashi Kato Park Choi "
    "Jung Kang Cho Yoon Jang Lim Shah Singh Kumar Sharma Gupta Mehta Reddy Rao Iyer Desai "
    "Joshi Nair Chopra Kapoor Malhotra Banerjee Chatterjee Khan Hussain Rahman Ahmed Ali "
    "Haddad Nasser Khoury Mansour Aziz Farouk Yilmaz Kaya Demir Celik Ozturk Cohen Levy "
    "Friedman Katz Goldberg Rosen Weiss Schwartz Ignoffo Barbor Kowalski Nowak Wisniewski "
    "Wojcik Novak Horvath Nagy Popescu Ivanova Petrov Smirnov Volkov Sokolov Kuznetsov "
    "Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo "
    "Conti Dubois Bernard Moreau Laurent Lefebvre Leroy Roux Fournier Girard Bonnet Muller "
    "Schneider Fischer Weber Becker Schulz Koch Richter Klein Wolf Neumann Johansson "
    "Andersson Karlsson Nilsson Eriksson Larsson Olsen Jensen Nielsen Hansson Virtanen "
    "Korhonen Okafor Okonkwo Adeyemi Mensah Owusu Boateng Mwangi Otieno Dlamini Nkosi "
    "Kariuki Abubakar Oliveira Souza Pereira Costa Rodrigues Almeida Carvalho Ribeiro "
    "Gomes Martins Araujo Barbosa Pham Hoang Huynh Vu Dang Bui Do Ngo Duong Ly"
)
CREDENTIALS = [
    "PharmD",
    "PharmD, BCOP",
    "PharmD, BCOP",
    "PharmD, BCPS",
    "PharmD, BCOP, CPP",
    "PharmD, MS, BCOP",
    "PharmD, MBA",
    "RPh",
    "MD",
    "MD",
    "MD, PhD",
    "MD, MPH",
    "MD, MSc",
    "PhD",
    "MS, RN, AOCNS",
    "DNP, APRN, AOCNP",
    "MPH",
    "PA-C",
]
PLACES = _list(
    "Memorial|University|Regional|Community|Children's|Veterans Affairs|Baptist|Methodist|"
    "Presbyterian|St. Luke's|Mercy|Providence|Northwestern|Southwestern|Midwest|Lakeside|"
    "Riverside|Valley|Mountain View|Bay Area|Gulf Coast|Pacific|Atlantic|Central",
    "|",
)
INSTITUTIONS = _list(
    "Cancer Center|Medical Center|Cancer Institute|Health System|Hospital|"
    "College of Pharmacy|School of Medicine|Comprehensive Cancer Center|Oncology Associates",
    "|",
)
DEPARTMENTS = _list(
    "Department of Pharmacy|Division of Hematology and Oncology|Department of Pharmacy Practice|"
    "Department of Medicine|Division of Medical Oncology|Department of Pharmacotherapy|"
    "Blood and Marrow Transplant Program|Department of Nursing",
    "|",
)
CITIES = _list(
    "Boston, MA|New York, NY|Houston, TX|Seattle, WA|Chicago, IL|Philadelphia, PA|Nashville, TN|"
    "Rochester, MN|Columbus, OH|Ann Arbor, MI|Salt Lake City, UT|Denver, CO|Atlanta, GA|"
    "Tampa, FL|Baltimore, MD|Pittsburgh, PA|San Francisco, CA|Los Angeles, CA|Durham, NC|"
    "Chapel Hill, NC|Birmingham, AL|St. Louis, MO|Indianapolis, IN|Madison, WI|Omaha, NE|"
    "Portland, OR|Phoenix, AZ|Dallas, TX|Miami, FL|Cleveland, OH|Toronto, ON|Montreal, QC",
    "|",
)
JOURNALS = _list(
    "J Clin Oncol|N Engl J Med|Lancet Oncol|Blood|JAMA Oncol|Ann Oncol|Cancer|"
    "J Hematol Oncol Pharm|J Oncol Pharm Pract|Am J Health Syst Pharm|Clin Cancer Res|"
    "Leukemia|Haematologica|Br J Haematol|Blood Adv|Lancet|JAMA|Cancer Treat Rev|Oncologist|"
    "Support Care Cancer|J Natl Compr Canc Netw|Breast Cancer Res Treat|Lung Cancer|"
    "Eur J Cancer|Clin Lymphoma Myeloma Leuk|Am J Hematol|Bone Marrow Transplant|"
    "Transplant Cell Ther|Ann Pharmacother|Pharmacotherapy|J Oncol Pract|JCO Oncol Pract|"
    "Nat Rev Clin Oncol|Cancer Chemother Pharmacol|Clin Pharmacokinet|Drug Saf",
    "|",
)
TITLE_PATTERNS = [
    "{Drug} in Patients With {Disease}: Results From the {Trial} Trial",
    "{Drug} Versus {Drug2} in {Disease}: A Randomized Phase 3 Trial",
    "Management of {Ae} in Patients Receiving {Drug}",
    "Incidence and Risk Factors of {Ae} With {Drug} in {Disease}",
    "Real-World Outcomes of {Drug} in {Topic}",
    "The Oncology Pharmacist's Role in {Topic}: A Review",
    "{Topic}: Practical Considerations for {Drug} Dosing",
    "Retrospective Evaluation of {Ae} After {Drug} Therapy",
    "Long-Term Follow-Up of the {Trial} Study of {Drug} in {Disease}",
    "{Ae} Associated With {Drug}: A Case Report",
    "Pharmacist-Led Monitoring of {Ae} in {Topic}",
    "Cost and Access Barriers to {Drug} for {Disease}",
    "Drug Interactions With {Drug} in Patients With {Disease}",
    "Adherence to {Drug} in {Disease}: A Single-Center Experience",
    "Prevention of {Ae} in {Topic}: An Evidence Update",
]
NEWS_PATTERNS = [
    "FDA Approves {Drug} for {Disease}",
    "FDA Grants Accelerated Approval to {Drug} for Relapsed {Disease}",
    "{Drug} Improves Survival in {Disease}, {Trial} Shows",
    "New Guidance on {Ae} With {Drug}",
    "{Topic}: What Pharmacists Need to Know About {Drug}",
    "Highlights From the {Trial} Trial of {Drug}",
    "{Year} in Review: {Topic}",
    "Label Update for {Drug} Adds Warning on {Ae}",
]
STANDFIRSTS = [
    "This {kind} evaluated {ae} among {n} patients with {disease} treated with {drug}.",
    "{Drug} was associated with improved {endpoint} compared with {drug2} in {disease}.",
    "We describe {ae} in a patient receiving {drug} for {disease} and review its management.",
    "The {trial} trial compared {drug} with {drug2} in {n} patients with {disease}.",
    "Oncology pharmacists can reduce {ae} through dose adjustment and monitoring of {drug}.",
    "The FDA approved {drug} for adults with {disease} on the basis of the {trial} trial.",
    "Rates of {ae} were higher than expected with {drug} in routine practice.",
    "Guidance on {topic} for pharmacists managing patients who receive {drug}.",
]
SMALL_WORDS = {"a", "an", "and", "as", "at", "by", "for", "in", "of", "on", "or", "the", "to"}


def _zipf(n: int, s: float = 1.05) -> np.ndarray:
    """Cumulative Zipf weights over n ranked items (for searchsorted on uniforms)."""
    weights = 1.0 / np.arange(1, n + 1) ** s
    cumulative = np.cumsum(weights)
    return cumulative / cumulative[-1]


def _draw(rng: np.random.Generator, cdf: np.ndarray, size) -> np.ndarray:
    return np.minimum(np.searchsorted(cdf, rng.random(size), side="right"), len(cdf) - 1)


def title_case(text: str) -> str:
    words = text.split(" ")
    out = []
    for i, word in enumerate(words):
        if i and word in SMALL_WORDS:
            out.append(word)
        elif word[:1].islower():
            out.append(word[:1].upper() + word[1:])
        else:
            out.append(word)
    return " ".join(out)


def orcid(number: int) -> str:
    """The ORCID iD with base digits number (15 digits), check digit by ISO 7064 11,2."""
    digits = f"{number:015d}"
    total = 0
    for d in digits:
        total = (total + int(d)) * 2
    check = (12 - total % 11) % 11
    full = digits + ("X" if check == 10 else str(check))
    return "-".join(full[i : i + 4] for i in range(0, 16, 4))


class Corpus:
    """The vocabulary and lexicon of one build (deterministic for a seed)."""

    def __init__(self, seed: int):
        from wordfreq import top_n_list, word_frequency

        self.rng = np.random.default_rng(seed)
        english = [
            "I" if w == "i" else w
            for w in top_n_list("en", 65_000)
            if w.isalpha()
            and w.isascii()
            and (len(w) > 1 or w in "ai")
            and w not in {"ll", "ve", "re"}
        ]
        frequencies = np.array([word_frequency(w, "en") for w in english])
        self.english_cdf = np.cumsum(frequencies) / frequencies.sum()
        self.domain_cdf = _zipf(len(DOMAIN), 1.0)
        drugs, drug_topics = self._drug_names()
        trials = self._trial_acronyms(600)
        # One list of every token text; the samplers hold indices into it.
        vocabulary = [*english, *DOMAIN]
        offset_domain = len(english)
        lexicon = [*CLINICAL, *DISEASES, *BIOMARKERS, *drugs, *trials]
        offset_lexicon = len(vocabulary)
        vocabulary += lexicon
        self.vocabulary = np.array(vocabulary, dtype=object)
        self.domain_base = offset_domain
        index = {term: offset_lexicon + i for i, term in enumerate(lexicon)}
        # Every lexicon term, in a random order of frequency: the background clinical text.
        self.lexicon_order = offset_lexicon + self.rng.permutation(len(lexicon))
        self.lexicon_cdf = _zipf(len(lexicon), 1.0)
        # Each topic's own lexicon: its name first, then its drugs, diseases, markers, trials.
        self.topic_terms = {}
        self.topic_drugs = {}
        self.topic_diseases = {}
        self.topic_trials = {}
        for topic in CLINICAL:
            own = [d for d in drugs if topic in drug_topics[d]]
            own = list(self.rng.choice(own, size=min(60, len(own)), replace=False)) if own else []
            if not own:
                own = list(self.rng.choice(drugs, size=40, replace=False))
            own += [d for d, topics in RARE.items() if topic in topics]
            diseases = [str(x) for x in self.rng.choice(DISEASES, size=25, replace=False)]
            malignancies = DISEASES[: DISEASES.index("amyloidosis")]
            cancers = [str(x) for x in self.rng.choice(malignancies, size=5, replace=False)]
            markers = [str(x) for x in self.rng.choice(BIOMARKERS, size=8, replace=False)]
            own_trials = [str(x) for x in self.rng.choice(trials, size=20, replace=False)]
            rest = [*own[:-8], *diseases, *markers, *own_trials]
            self.rng.shuffle(rest)
            # The rarest drugs (the real names among them) at the tail of the curve.
            terms = [topic, *rest, *own[-8:]]
            self.topic_terms[topic] = (np.array([index[t] for t in terms]), _zipf(len(terms)))
            self.topic_drugs[topic] = [d for d in own if d not in RARE] or drugs[:10]
            self.topic_diseases[topic] = [topic] if topic in CLINICAL[:9] else cancers
            self.topic_trials[topic] = own_trials
        self.adverse = DISEASES[DISEASES.index("graft-versus-host disease") :]

    def _drug_names(self) -> tuple[list[str], dict[str, tuple[str, ...]]]:
        """Thousands of INN-like names (stem + class suffix), with the real rare ones."""
        names: dict[str, tuple[str, ...]] = {name: topics for name, topics in RARE.items()}
        for suffix, topics in SUFFIXES.items():
            made = 0
            while made < 130:
                parts = [self.rng.choice(ONSETS)]
                parts += list(self.rng.choice(MIDDLES, size=int(self.rng.integers(0, 2))))
                name = "".join(parts) + suffix
                if name not in names and len(name) > len(suffix) + 2:
                    names[name] = topics
                    made += 1
        ordered = sorted(names)
        self.rng.shuffle(ordered)
        return ordered, names

    def _trial_acronyms(self, n: int) -> list[str]:
        letters = "ABCDEFGHIJKLMNOPRSTUVWXYZ"
        made: set[str] = set()
        while len(made) < n:
            onset = self.rng.choice(ONSETS, size=int(self.rng.integers(2, 4)))
            name = "".join(onset).upper()
            if self.rng.random() < 0.4:
                name = "".join(self.rng.choice(list(letters), size=int(self.rng.integers(3, 6))))
            if self.rng.random() < 0.5:
                name += f"-{int(self.rng.integers(1, 5))}"
            made.add(name)
        return sorted(made)

    def tokens(self, n: int, topics: list[str]) -> list[str]:
        """n words of running text for an article on these topics (lexicon phrases count as
        one): English words, oncology vocabulary and clinical terms, each article with its own
        density of the latter two."""
        rng = self.rng
        domain = float(np.clip(rng.normal(0.05, 0.025), 0.005, 0.12))
        topical = float(np.clip(rng.normal(0.025, 0.012), 0.003, 0.06))
        background = 0.004
        u = rng.random(n)
        out = _draw(rng, self.english_cdf, n)
        is_domain = u < domain
        out[is_domain] = self.domain_base + _draw(rng, self.domain_cdf, int(is_domain.sum()))
        is_topic = (u >= domain) & (u < domain + topical)
        count = int(is_topic.sum())
        if count:
            # The first topic dominates: an article is mostly about one thing.
            shares = np.array([3.0] + [1.0] * (len(topics) - 1))
            which = rng.choice(len(topics), size=count, p=shares / shares.sum())
            picked = np.empty(count, dtype=np.int64)
            for k, topic in enumerate(topics):
                terms, cdf = self.topic_terms[topic]
                mask = which == k
                picked[mask] = terms[_draw(rng, cdf, int(mask.sum()))]
            out[is_topic] = picked
        is_background = (u >= domain + topical) & (u < domain + topical + background)
        out[is_background] = self.lexicon_order[
            _draw(rng, self.lexicon_cdf, int(is_background.sum()))
        ]
        return self.vocabulary[out].tolist()

    def body(self, n_words: int, topics: list[str], n_refs: int, research: bool, case: bool):
        """(body, body_html): paragraphs of sentences under section headings, citing the
        references 1..n_refs in order of first citation (each at least once)."""
        rng = self.rng
        words = self.tokens(n_words, topics)
        # Commas inside sentences.
        for i in np.flatnonzero(rng.random(n_words) < 0.07).tolist():
            words[i] += ","
        lengths = np.clip(rng.gamma(4.0, 5.0, size=n_words // 6 + 2).astype(int), 4, 48)
        ends = np.cumsum(lengths)
        ends = [*ends[ends < n_words].tolist(), n_words]
        sentences = []
        start = 0
        for end in ends:
            text = " ".join(words[start:end]).rstrip(",")
            sentences.append(text[:1].upper() + text[1:])
            start = end
        n = len(sentences)
        cites = self._citations(n, n_refs)
        if research:
            headings = CASE_HEADINGS if case else RESEARCH_HEADINGS
            shares = np.array([0.12, 0.25, 0.33, 0.25, 0.05][: len(headings)])
            if case:
                shares = np.array([0.2, 0.35, 0.4, 0.05])
            starts = (np.cumsum(np.r_[0, shares[:-1]]) * n).astype(int).tolist()
            titles = [h[int(rng.integers(len(h)))] for h in headings]
        else:
            k = int(rng.integers(0, 3)) if n > 12 else 0
            starts = [0, *sorted(rng.choice(range(4, n - 2), size=k, replace=False).tolist())]
            titles = ["", *rng.choice(NEWS_HEADINGS, size=k, replace=False).tolist()]
        heading_at = dict(zip(starts, titles, strict=False))
        body, html = [], []
        counts: dict[int, int] = {}
        paragraph_left = 0
        open_p = False
        for i, sentence in enumerate(sentences):
            if heading_at.get(i):
                if open_p:
                    body.append("</p>")
                    html.append("</p>")
                    open_p = False
                body.append(f"<h2>{heading_at[i]}</h2>")
                html.append(f"<h2>{heading_at[i]}</h2>")
                paragraph_left = 0
            if paragraph_left == 0:
                if open_p:
                    body.append("</p>")
                    html.append("</p>")
                body.append("<p>")
                html.append("<p>")
                open_p = True
                paragraph_left = int(rng.integers(2, 8))
            else:
                body.append(" ")
                html.append(" ")
            paragraph_left -= 1
            group = cites.get(i)
            if group:
                body.append(f"{sentence} [{group}].")
                html.append(f"{sentence} {_linked(group, counts)}.")
            else:
                body.append(f"{sentence}.")
                html.append(f"{sentence}.")
        body.append("</p>")
        html.append("</p>")
        return "".join(body), "".join(html)

    def _citations(self, n_sentences: int, n_refs: int) -> dict[int, str]:
        """Sentence index -> citation group ("3", "4,5", "6-8"), every reference cited, new
        numbers in increasing order."""
        if not n_refs:
            return {}
        rng = self.rng
        events = min(n_sentences, n_refs + int(rng.integers(0, n_refs // 2 + 1)))
        positions = sorted(rng.choice(n_sentences, size=events, replace=False).tolist())
        out = {}
        new = 1
        for e, position in enumerate(positions):
            remaining_events = events - e
            remaining_new = n_refs - new + 1
            if remaining_new > 0 and (
                remaining_new >= remaining_events or rng.random() < 0.75 or new == 1
            ):
                # Enough events left to introduce every number: take 1, 2 or a range of 3.
                spare = remaining_new - (remaining_events - 1)
                size = int(rng.choice([1, 1, 1, 2, 3]))
                size = max(1, min(size, remaining_new), spare)
                if size == 1:
                    out[position] = str(new)
                elif size == 2:
                    out[position] = f"{new},{new + 1}"
                else:
                    out[position] = f"{new}-{new + size - 1}"
                new += size
            elif new > 1:
                out[position] = str(int(rng.integers(1, new)))
        return out

    def title(self, topics: list[str], research: bool, year: int) -> str:
        rng = self.rng
        topic = topics[0]
        patterns = TITLE_PATTERNS if research else NEWS_PATTERNS
        pattern = patterns[int(rng.integers(len(patterns)))]
        return pattern.format(**self._slots(topic, year, capital=True))

    def standfirst(self, topics: list[str], year: int) -> str:
        rng = self.rng
        picks = rng.choice(len(STANDFIRSTS), size=int(rng.integers(1, 3)), replace=False)
        slots = self._slots(topics[-1], year, capital=False)
        sentences = [STANDFIRSTS[i].format(**slots) for i in picks]
        return " ".join(s[:1].upper() + s[1:] for s in sentences)

    def _slots(self, topic: str, year: int, *, capital: bool) -> dict[str, str]:
        rng = self.rng
        drugs = self.topic_drugs[topic]
        drug, drug2 = (drugs[int(i)] for i in rng.choice(len(drugs), size=2))
        diseases = self.topic_diseases[topic]
        disease = diseases[int(rng.integers(len(diseases)))]
        ae = self.adverse[int(rng.integers(len(self.adverse)))]
        trials = self.topic_trials[topic]
        case = title_case if capital else str
        return {
            "Drug": drug[:1].upper() + drug[1:],
            "Drug2": drug2[:1].upper() + drug2[1:],
            "drug": drug,
            "drug2": drug2,
            "Disease": case(disease),
            "disease": disease,
            "Ae": case(ae),
            "ae": ae,
            "Topic": case(topic),
            "topic": topic,
            "Trial": trials[int(rng.integers(len(trials)))],
            "trial": trials[int(rng.integers(len(trials)))],
            "Year": str(year),
            "n": str(int(rng.integers(12, 900))),
            "kind": ("retrospective study", "prospective cohort study", "phase 2 trial")[
                int(rng.integers(3))
            ],
            "endpoint": ("progression-free survival", "overall survival", "response rates")[
                int(rng.integers(3))
            ],
        }

    def people(self, n: int) -> list[dict]:
        """n authors: distinct names (given name with middle initial, family name),
        credentials, affiliation and a unique, valid ORCID iD."""
        rng = self.rng
        seen: set[tuple[str, str]] = set()
        # Issued iDs run from 0000-0001-5000-0007 to 0000-0003-xxxx-xxxx.
        numbers = rng.choice(25 * 10**6, size=n, replace=False) + 15 * 10**6
        people = []
        while len(people) < n:
            given = str(rng.choice(GIVEN))
            if rng.random() < 0.6:
                given += f" {chr(65 + int(rng.integers(26)))}."
            family = str(rng.choice(FAMILY))
            if rng.random() < 0.08:
                family += f"-{rng.choice(FAMILY)}"
            if (given, family) in seen:
                continue
            seen.add((given, family))
            affiliation = (
                f"{rng.choice(DEPARTMENTS)}, {rng.choice(PLACES)} {rng.choice(INSTITUTIONS)}, "
                f"{rng.choice(CITIES)}"
            )
            people.append(
                {
                    "given_name": given,
                    "family_name": family,
                    "credentials": str(rng.choice(CREDENTIALS)),
                    "affiliation": affiliation,
                    "orcid": orcid(int(numbers[len(people)])),
                }
            )
        return people

    def references(self, n: int, topics: list[str], year: int) -> list[dict]:
        """n AMA-style references (authors, title, journal, year;volume(issue):pages), each
        with a DOI and most with a PMID."""
        rng = self.rng
        if not hasattr(self, "_reference_titles"):
            self._reference_titles = {
                topic: [self._reference_title(topic) for _ in range(400)] for topic in CLINICAL
            }
        numbers = rng.integers(0, 2**31, size=(n, 16)).tolist()
        out = []
        for r in numbers:
            k = 1 + r[0] % 6
            names = [
                f"{FAMILY[r[1 + j] % len(FAMILY)]} {chr(65 + r[4 + j] % 26)}"
                + (chr(65 + r[7 + j] % 26) if r[7 + j] % 2 else "")
                for j in range(min(k, 3))
            ]
            authors = ", ".join(names) + (", et al" if k > 3 else "")
            titles = self._reference_titles[topics[r[10] % len(topics)]]
            cited_year = year - r[11] % 15
            first = 1 + r[12] % 4000
            journal = JOURNALS[r[14] % len(JOURNALS)]
            doi = f"10.{1000 + r[13] % 300}/{''.join(filter(str.isalpha, journal))[:4].lower()}"
            out.append(
                {
                    "citation": f"{authors}. {titles[r[15] % len(titles)]}. "
                    f"{journal}. {cited_year};{1 + r[13] % 140}"
                    f"({1 + r[12] % 24}):{first}-{first + 2 + r[11] % 12}.",
                    "doi": f"{doi}.{cited_year}.{r[15] % 10**6:06d}",
                    "pmid": str(10_000_000 + r[9] % 29_000_000) if r[9] % 5 else "",
                }
            )
        return out

    def _reference_title(self, topic: str) -> str:
        pattern = TITLE_PATTERNS[int(self.rng.integers(len(TITLE_PATTERNS)))]
        title = pattern.format(**self._slots(topic, 2020, capital=False))
        return title[:1].upper() + title[1:].lower()


def _linked(group: str, counts: dict[int, int]) -> str:
    """What articles.citations.link_citations makes of "[group]" (the groups written here:
    "3", "4,5", "6-8")."""
    if "-" in group:
        first, last = (int(x) for x in group.split("-"))
        parts = [list(range(first, last + 1))]
    else:
        parts = [[int(x)] for x in group.split(",")]
    rendered = []
    for part in parts:
        anchors = []
        for n in part:
            counts[n] = counts.get(n, 0) + 1
            anchors.append(f"cite-{n}-{counts[n]}")
        first, last = part[0], part[-1]
        html = _LINK.format(first, anchors[0], first, first)
        if len(part) > 1:
            html += "".join(f'<span id="{a}"></span>' for a in anchors[1:-1])
            html += "–" + _LINK.format(last, anchors[-1], last, last)
        rendered.append(html)
    return f'<sup class="cite">{",".join(rendered)}</sup>'


_LINK = '<a href="#ref-{}" id="{}" aria-label="Reference {}">{}</a>'
