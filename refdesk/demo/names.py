"""Patient and staff names from the communities a clinic's patients come from.

The mix is what exercises the desk: accents (Zoë, José Núñez, Nguyễn), apostrophes (O'Brien,
D'Angelo), hyphens (Smith-Jones, Ji-woo) and, for a realistic minority, names written in their own
script (Ольга, Δημήτρης, 李, محمد, हरि). Search, sorting, duplicate checks, letters and exports all
meet them in the demo before they meet them in a clinic.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Culture:
    """A name pool with the language its speakers may ask for.

    ``language_share`` of patients have ``languages`` recorded (English speakers usually have nothing
    recorded); ``interpreter_share`` of those need an interpreter.
    """

    key: str
    weight: float
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    languages: tuple[str, ...] = ()
    language_share: float = 0.0
    interpreter_share: float = 0.0
    #: Share of patients whose surname is two names joined by a hyphen (Smith-Jones).
    double_surname_share: float = 0.0


def _names(packed: str) -> tuple[str, ...]:
    """Names written as one '|'-separated string: a data table, not code (and formatter-proof)."""
    return tuple(packed.split("|"))


CULTURES: tuple[Culture, ...] = (
    Culture(
        "english",
        48.0,
        _names(
            "James|Mary|Robert|Patricia|John|Jennifer|Michael|Linda|David|Elizabeth|William|Barbara|"
            "Richard|Susan|Joseph|Jessica|Thomas|Sarah|Charles|Karen|Christopher|Lisa|Daniel|Nancy|"
            "Matthew|Betty|Anthony|Margaret|Mark|Sandra|Donald|Ashley|Steven|Kimberly|Paul|Emily|"
            "Andrew|Donna|Joshua|Michelle|Kenneth|Carol|Kevin|Amanda|Brian|Dorothy|George|Melissa|"
            "Timothy|Deborah|Ronald|Stephanie|Jason|Rebecca|Edward|Sharon|Jeffrey|Laura|Ryan|Cynthia|"
            "Jacob|Kathleen|Gary|Amy|Nicholas|Angela|Eric|Shirley|Jonathan|Anna|Stephen|Brenda|Larry|"
            "Pamela|Justin|Emma|Scott|Nicole|Brandon|Helen|Benjamin|Samantha|Samuel|Katherine|Gregory|"
            "Christine|Alexander|Debra|Patrick|Rachel|Frank|Carolyn|Raymond|Janet|Jack|Olivia|Dennis|"
            "Heather|Tyler|Diane|Aaron|Julie|Zoë|Renée|Noël|Mary Ann|Jo-Ann|Ava|Liam|Noah|Mia|Harper|"
            "Ethan|Logan|Chloe|Grace|Lucas|DeShawn|Latoya|Malik|Imani|Jamal|Aaliyah|Darnell|Keisha"
        ),
        _names(
            "Smith|Johnson|Williams|Brown|Jones|Miller|Davis|Wilson|Anderson|Taylor|Thomas|Moore|"
            "Jackson|Martin|Lee|Thompson|White|Harris|Clark|Lewis|Robinson|Walker|Young|Allen|King|"
            "Wright|Scott|Hill|Green|Adams|Baker|Nelson|Carter|Mitchell|Roberts|Turner|Phillips|"
            "Campbell|Parker|Evans|Edwards|Collins|Stewart|Morris|Murphy|Cook|Rogers|Morgan|Cooper|"
            "Peterson|Reed|Bailey|Bell|Kelly|Howard|Ward|Cox|Richardson|Wood|Watson|Brooks|Bennett|"
            "Gray|Hughes|Price|Sanders|Myers|Long|Ross|Foster|O'Brien|O'Connor|O'Neill|McDonald|"
            "MacKenzie|Fitzgerald|Sullivan|Washington|Jefferson|St. John|Van der Berg|LaFleur|DuBois|"
            "Hawkins|Boyd|Mason|Graham|Hunt"
        ),
        double_surname_share=0.05,
    ),
    Culture(
        "spanish",
        14.0,
        _names(
            "José|María|Juan|Ana|Luis|Carmen|Jesús|Lucía|Ángel|Sofía|Andrés|Inés|Raúl|Mónica|Tomás|"
            "Verónica|Héctor|Beatriz|Martín|Guadalupe|Alejandro|Valentina|Diego|Camila|Joaquín|Ximena|"
            "Rocío|Carlos|Rosa|Miguel|Elena|Javier|Paula|Sebastián|Adriana|Fernando|María José|"
            "Juan Pablo"
        ),
        _names(
            "García|Rodríguez|Martínez|Hernández|López|González|Pérez|Sánchez|Ramírez|Torres|Flores|"
            "Rivera|Gómez|Díaz|Núñez|Jiménez|Ruiz|Álvarez|Castillo|Peña|Ortiz|Morales|Vásquez|Muñoz|"
            "Cruz|Reyes|Gutiérrez|Chávez|Ibáñez|Romero|de la Cruz|Del Valle"
        ),
        ("Spanish",),
        language_share=0.45,
        interpreter_share=0.6,
        double_surname_share=0.08,
    ),
    Culture(
        "vietnamese",
        3.5,
        _names(
            "Minh|Lan|Hùng|Thảo|Dũng|Hương|Tuấn|Mai|Quang|Ngọc|Phương|Đức|Thủy|Long|Hoa|Khánh|Linh|"
            "Trung|Yến|Bảo"
        ),
        _names("Nguyễn|Trần|Lê|Phạm|Hoàng|Huỳnh|Phan|Vũ|Võ|Đặng|Bùi|Đỗ"),
        ("Vietnamese",),
        language_share=0.6,
        interpreter_share=0.55,
    ),
    Culture(
        "chinese",
        3.5,
        _names("Wei|Li|Fang|Jing|Hao|Min|Xiu Ying|Lei|Yan|Jun|Mei|Chen|Ling"),
        _names("Wang|Li|Zhang|Liu|Chen|Yang|Huang|Zhao|Wu|Zhou|Xu|Lin|Ng"),
        ("Mandarin", "Cantonese"),
        language_share=0.45,
        interpreter_share=0.5,
    ),
    Culture(
        "chinese_script",
        1.2,
        _names("伟|芳|娜|敏|静|丽|强|磊|洋|艳|志明|秀英"),
        _names("李|王|张|刘|陈|杨|黄|赵|吴|周"),
        ("Mandarin", "Cantonese"),
        language_share=0.9,
        interpreter_share=0.8,
    ),
    Culture(
        "korean",
        1.5,
        _names("Ji-woo|Min-jun|Seo-yeon|Ha-eun|Do-yun|Ji-ho|Soo-jin|Young-ho"),
        _names("Kim|Park|Choi|Jung|Kang|Cho|Yoon|Jang"),
        ("Korean",),
        language_share=0.4,
        interpreter_share=0.5,
    ),
    Culture(
        "russian",
        1.6,
        _names("Ольга|Иван|Наталья|Сергей|Елена|Дмитрий|Татьяна|Алексей|Ирина|Михаил"),
        _names("Иванова|Смирнов|Кузнецова|Попов|Соколова|Лебедев|Козлова|Новиков|Петров"),
        ("Russian",),
        language_share=0.8,
        interpreter_share=0.6,
    ),
    Culture(
        "ukrainian_polish",
        2.0,
        _names("Łukasz|Małgorzata|Agnieszka|Wojciech|Oksana|Taras|Zofia|Krzysztof"),
        _names("Wójcik|Kowalczyk|Zieliński|Nowak|Shevchenko|Kowalenko|Dąbrowska|Lewandowski"),
        ("Polish", "Ukrainian"),
        language_share=0.4,
        interpreter_share=0.5,
    ),
    Culture(
        "greek",
        0.9,
        _names("Δημήτρης|Γιώργος|Μαρία|Ελένη|Νίκος|Κατερίνα|Γιάννης|Σοφία"),
        _names("Παπαδόπουλος|Παπαδοπούλου|Οικονόμου|Γεωργίου|Νικολάου|Βασιλείου|Αθανασίου"),
        ("Greek",),
        language_share=0.7,
        interpreter_share=0.5,
    ),
    Culture(
        "arabic",
        2.5,
        _names("Mohammed|Ahmed|Fatima|Aisha|Omar|Layla|Hassan|Yusuf|Mariam|Khalid"),
        _names("Al-Sayed|Haddad|Khalil|Mansour|Nasser|Saleh|Hamdan|Abboud|El-Amin"),
        ("Arabic",),
        language_share=0.4,
        interpreter_share=0.5,
    ),
    Culture(
        "arabic_script",
        1.0,
        _names("محمد|أحمد|فاطمة|عائشة|عمر|ليلى|حسن|يوسف"),
        _names("الحسن|حداد|خليل|منصور|ناصر|صالح"),
        ("Arabic",),
        language_share=0.9,
        interpreter_share=0.8,
    ),
    Culture(
        "indian",
        3.5,
        _names("Priya|Rahul|Anjali|Arjun|Deepa|Vikram|Sunita|Ravi|Kavya|Hari"),
        _names("Patel|Sharma|Singh|Kumar|Gupta|Reddy|Iyer|Nair|Desai|Mehta"),
        ("Hindi", "Gujarati", "Punjabi", "Tamil"),
        language_share=0.2,
        interpreter_share=0.4,
    ),
    Culture(
        "devanagari",
        0.9,
        _names("हरि|प्रिया|राहुल|अंजलि|सुनीता|रवि|गीता|अमित"),
        _names("शर्मा|पटेल|सिंह|कुमार|गुप्ता|वर्मा"),
        ("Hindi", "Nepali"),
        language_share=0.9,
        interpreter_share=0.7,
    ),
    Culture(
        "european",
        3.5,
        _names(
            "Chloé|Hélène|François|Jérôme|Søren|Björn|Jürgen|Åsa|Anaïs|Zoë|Maëlle|Lars|Ingrid|Günther|"
            "Ève|Céline"
        ),
        _names("Müller|Schröder|Lefèvre|Dubois|Bjørnsen|Ångström|Weiß|Böhm|Fontaine"),
        ("French", "German"),
        language_share=0.1,
        interpreter_share=0.3,
        double_surname_share=0.05,
    ),
    Culture(
        "irish_italian",
        4.0,
        _names("Giuseppe|Francesca|Salvatore|Giulia|Siobhán|Seán|Niamh|Pádraig|Aoife|Ciarán|Lorenzo|Chiara"),
        _names(
            "D'Angelo|D'Amico|O'Malley|O'Sullivan|DeLuca|Russo|Esposito|Romano|Ó Briain|Mac Giolla|"
            "Costa|Bianchi"
        ),
        ("Italian",),
        language_share=0.05,
        interpreter_share=0.3,
    ),
    Culture(
        "filipino",
        2.5,
        _names("Jose|Maria Luisa|Rizalino|Marites|Jun|Rowena|Ernesto|Liza|Bong|Cherry"),
        _names("Santos|Reyes|Cruz|Bautista|Ocampo|Garcia|Mendoza|dela Cruz|Villanueva"),
        ("Tagalog",),
        language_share=0.2,
        interpreter_share=0.3,
    ),
    Culture(
        "east_african_haitian",
        2.0,
        _names("Abdi|Hodan|Amina|Faduma|Jean-Baptiste|Marie-Claire|Wilner|Nadège"),
        _names("Mohamed|Hassan|Warsame|Jean-Louis|Pierre|Saint-Fleur|Désir|Augustin"),
        ("Somali", "Haitian Creole"),
        language_share=0.5,
        interpreter_share=0.6,
    ),
)

#: The desk's own people (username, full name, role value): who owns referrals and logs the calls. Each
#: signs in with ``DEMO_PASSWORD`` (demo data only: a real clinic's accounts are made in first-run setup).
STAFF: tuple[tuple[str, str, str], ...] = (
    ("maria", "Maria Lopez", "front_desk"),
    ("dkim", "Daniel Kim", "front_desk"),
    ("aokafor", "Adaeze Okafor", "front_desk"),
    ("jbrennan", "Jamie Brennan", "front_desk"),
    ("tnguyen", "Thu Nguyễn", "coordinator"),
    ("rhaddad", "Rami Haddad", "coordinator"),
    ("sobrien", "Siobhán O'Brien", "coordinator"),
    ("admin", "Clinic Administrator", "admin"),
)
#: Every demo account's password; shown on the demo's sign-in screen, so it is no secret.
DEMO_PASSWORD = "demo"
#: The demo's administrator (in ``STAFF``): signs in to try staff and audit management.
DEMO_ADMIN = "admin"

#: Clinicians' and partner contacts' names (the people at the partner practices).
CLINICIAN_FIRST = _names(
    "Alan|Beatrice|Carlos|Deepa|Elliot|Farah|Grace|Hiroshi|Ingrid|Jamal|Katarzyna|Luis|Meera|Nathan|"
    "Olga|Priyanka|Quentin|Rosa|Samuel|Tamsin|Umar|Valérie|Wen|Yasmin|Zoltán|Amara|Björn|Chioma|"
    "Darius|Esther"
)
CLINICIAN_LAST = _names(
    "Abernathy|Bose|Castellanos|Delacroix|Eriksen|Fujimoto|Goldberg|Hoffmann|Iqbal|Jovanović|Kowalski|"
    "Lindqvist|Mbeki|Nakamura|O'Donnell|Petrov|Quintero|Rosenthal|Sato|Thornton|Usman|Varga|Whitfield|"
    "Xu|Yilmaz|Zhang|Achebe|Brennan|Chowdhury|Da Silva"
)
CREDENTIALS = _names("MD|MD|MD|DO|NP|PA-C|DPT|LCSW|PhD")
