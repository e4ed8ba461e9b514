"""What the demo clinic offers and whom it works with: service lines with their criteria, records,
intake scripts and typical reasons for referral, and the words partner practices are named with.

Kept as plain data so the generator stays about numbers and the clinic reads like a clinic.
"""

from __future__ import annotations

from dataclasses import dataclass

from refdesk.domain.vocab import ItemKind, PartnerCategory
from refdesk.services import settings


@dataclass(frozen=True, slots=True)
class IntakeItemSpec:
    #: The item's identity across script versions (``IntakeItem.key``).
    key: str
    prompt: str
    kind: ItemKind
    choices: tuple[str, ...] = ()
    required: bool = False
    blocks_scheduling: bool = False


@dataclass(frozen=True, slots=True)
class ServiceLineSpec:
    name: str
    description: str
    criteria: str
    required_records: tuple[str, ...]
    how_to_refer: str
    after_referral: str
    ack_target_hours: int
    first_contact_target_hours: int
    #: Reasons for referral as a partner writes them.
    reasons: tuple[str, ...]
    #: The intake question only this line asks (the shared ones are in ``intake_items``).
    own_item: IntakeItemSpec
    providers: tuple[str, ...]
    location: str
    #: Typical days from booking to the first visit (routine), and the share needing authorization.
    lead_days: tuple[int, int]
    authorization_share: float
    #: Relative volume of referrals from each partner category.
    volume: dict[PartnerCategory, float]
    #: Youngest patient the line sees (its criteria say so; younger ones are not referred).
    min_age: int = 0


_C = PartnerCategory


def _words(packed: str) -> tuple[str, ...]:
    """A list of names written as one '|'-separated string (a data table, and formatter-proof)."""
    return tuple(packed.split("|"))


SERVICE_LINES: tuple[ServiceLineSpec, ...] = (
    ServiceLineSpec(
        name="Physical therapy",
        description="Evaluation and treatment for musculoskeletal pain, injury and post-surgical rehab.",
        criteria="Adults and children with a musculoskeletal or neurological condition expected to improve "
        "with therapy; post-operative patients with the surgeon's protocol.",
        required_records=("Recent clinic notes", "Surgical protocol (post-op only)"),
        how_to_refer="Fax the referral form and recent notes to the front desk, or send through the portal.",
        after_referral="We call the patient within one business day to book an evaluation.",
        ack_target_hours=8,
        first_contact_target_hours=16,
        reasons=(
            "Low back pain; PT evaluation and treatment",
            "Right knee pain after meniscus repair; post-op rehab per protocol",
            "Left shoulder rotator cuff tendinopathy",
            "Neck pain with radicular symptoms to the right arm",
            "Gait instability, two falls in the last month",
            "Ankle sprain, grade II, slow recovery",
            "Post total knee replacement rehabilitation",
            "Plantar fasciitis, failed home exercise program",
            "Hip osteoarthritis, strengthening and mobility",
            "Tennis elbow, work-related",
            "Concussion follow-up, vestibular therapy",
            "Developmental delay, gross motor evaluation (pediatric)",
        ),
        own_item=IntakeItemSpec("injury_or_surgery_date", "Date of injury or surgery", ItemKind.DATE),
        providers=("Karen Liu, DPT", "Marcus Obi, DPT", "Elena Petrova, PT", "Sam Whitaker, DPT"),
        location="Rehab gym, 2nd floor",
        lead_days=(3, 21),
        authorization_share=0.35,
        volume={
            _C.PRIMARY_CARE: 3.0,
            _C.SPECIALTY: 3.0,
            _C.THERAPY: 1.0,
            _C.HOME_HEALTH: 2.0,
            _C.HOSPITAL: 2.5,
            _C.SELF_OTHER: 2.0,
            _C.COMMUNITY: 0.5,
        },
    ),
    ServiceLineSpec(
        name="Imaging",
        description="MRI, CT, ultrasound and X-ray with same-week results to the referring clinician.",
        criteria="A signed order naming the study and the clinical question; contrast studies need recent "
        "kidney function.",
        required_records=("Signed imaging order", "Recent creatinine (contrast studies)"),
        how_to_refer="Fax the signed order; include insurance and authorization if already obtained.",
        after_referral="We verify insurance, obtain authorization where needed and call to schedule.",
        ack_target_hours=4,
        first_contact_target_hours=8,
        reasons=(
            "MRI lumbar spine without contrast; radiculopathy",
            "CT abdomen and pelvis with contrast; abdominal pain",
            "Ultrasound thyroid; palpable nodule",
            "MRI right knee; suspected ligament tear",
            "X-ray chest two views; persistent cough",
            "Screening mammogram",
            "Diagnostic mammogram and ultrasound; breast lump",
            "MRI brain with and without contrast; headaches",
            "DEXA scan; osteoporosis screening",
            "Ultrasound abdomen; elevated liver enzymes",
            "CT head without contrast; dizziness",
        ),
        own_item=IntakeItemSpec(
            "imaging_safety",
            "Safety screen: “Do you have metal implants or a pacemaker, could you be pregnant, or are you "
            "uncomfortable in small spaces?” Cleared for the study?",
            ItemKind.YES_NO,
            required=True,
            blocks_scheduling=True,
        ),
        providers=("MRI 1", "MRI 2", "CT", "Ultrasound", "X-ray", "Mammography"),
        location="Imaging center, ground floor",
        lead_days=(2, 14),
        authorization_share=0.6,
        volume={
            _C.PRIMARY_CARE: 4.0,
            _C.SPECIALTY: 4.0,
            _C.HOSPITAL: 2.0,
            _C.THERAPY: 0.5,
            _C.SELF_OTHER: 0.3,
        },
    ),
    ServiceLineSpec(
        name="Orthopedic surgery consult",
        description="Surgical opinion for joints, spine, sports injuries and fractures.",
        criteria="Imaging within the last 6 months and a trial of conservative care, except acute fractures.",
        required_records=("Imaging report", "Recent clinic notes", "Conservative care summary"),
        how_to_refer="Fax notes and the imaging report; urgent fractures by phone to the coordinator.",
        after_referral="A coordinator reviews the records and books the consult with the right surgeon.",
        ack_target_hours=8,
        first_contact_target_hours=24,
        reasons=(
            "Right hip osteoarthritis, failed injections; surgical opinion",
            "Complete ACL tear, left knee",
            "Distal radius fracture, displaced",
            "Lumbar spinal stenosis with neurogenic claudication",
            "Recurrent shoulder dislocation",
            "Carpal tunnel syndrome, EMG confirmed",
            "Knee osteoarthritis, considering total knee replacement",
            "Rotator cuff full-thickness tear on MRI",
            "Trigger finger, failed steroid injection",
        ),
        own_item=IntakeItemSpec(
            "prior_imaging", "Prior imaging available to the surgeon?", ItemKind.YES_NO, required=True
        ),
        providers=("Dr. Helen Marsh", "Dr. Victor Osei", "Dr. Priya Raman", "Dr. Tomás Ibarra"),
        location="Orthopedics clinic, suite 310",
        lead_days=(7, 35),
        authorization_share=0.45,
        volume={
            _C.PRIMARY_CARE: 3.0,
            _C.SPECIALTY: 2.0,
            _C.THERAPY: 2.5,
            _C.HOSPITAL: 1.5,
            _C.SELF_OTHER: 0.3,
        },
    ),
    ServiceLineSpec(
        name="Behavioral health intake",
        description="Assessment and short-term therapy for anxiety, depression, trauma and adjustment.",
        criteria="Ages 12 and up; not for acute crisis (call 988 or go to the emergency department).",
        required_records=("Screening scores (PHQ-9 / GAD-7)", "Medication list"),
        how_to_refer="Fax or portal; the patient may also self-refer through the web form.",
        after_referral="An intake coordinator calls the patient; first appointment within two weeks.",
        ack_target_hours=8,
        first_contact_target_hours=16,
        reasons=(
            "Depression, PHQ-9 of 16; counseling",
            "Generalized anxiety, GAD-7 of 14",
            "Post-partum depression screening positive",
            "Adjustment disorder after job loss",
            "Trauma symptoms after motor vehicle accident",
            "Adolescent anxiety and school avoidance",
            "Grief counseling",
            "Insomnia with anxiety; CBT-I",
            "Alcohol use, ready for counseling",
        ),
        own_item=IntakeItemSpec(
            "safety_screen",
            "Safety screen completed (no current thoughts of self-harm)?",
            ItemKind.YES_NO,
            required=True,
            blocks_scheduling=True,
        ),
        providers=("Jordan Ellis, LCSW", "Dr. Amira Haddad, PsyD", "Chris Novak, LPC", "Mei Tan, LMFT"),
        location="Behavioral health, suite 120",
        lead_days=(5, 20),
        authorization_share=0.15,
        volume={
            _C.PRIMARY_CARE: 3.0,
            _C.BEHAVIORAL_HEALTH: 1.0,
            _C.COMMUNITY: 3.0,
            _C.SELF_OTHER: 3.0,
            _C.HOSPITAL: 1.0,
            _C.HOME_HEALTH: 0.5,
        },
        min_age=12,
    ),
    ServiceLineSpec(
        name="Cardiology consult",
        description="Evaluation of chest pain, arrhythmia, heart failure and cardiovascular risk.",
        criteria="Adults; an ECG within the last 3 months; urgent referrals by phone.",
        required_records=("ECG tracing", "Recent labs (lipids, BMP)", "Medication list"),
        how_to_refer="Fax the ECG and notes; call the coordinator for urgent referrals.",
        after_referral="Urgent referrals are seen within the week, routine within a month.",
        ack_target_hours=4,
        first_contact_target_hours=8,
        reasons=(
            "Atrial fibrillation, new onset; rate controlled",
            "Exertional chest pain, abnormal stress test",
            "Heart murmur, echo requested",
            "Heart failure follow-up after admission",
            "Palpitations, Holter monitor",
            "Uncontrolled hypertension on three agents",
            "Syncope, unexplained",
            "Pre-operative cardiac risk assessment",
        ),
        own_item=IntakeItemSpec("recent_ecg", "Recent ECG available?", ItemKind.YES_NO, required=True),
        providers=("Dr. Samuel Adeyemi", "Dr. Lena Fischer", "Dr. Rajiv Menon"),
        location="Heart center, suite 400",
        lead_days=(5, 30),
        authorization_share=0.3,
        volume={_C.PRIMARY_CARE: 4.0, _C.SPECIALTY: 1.5, _C.HOSPITAL: 3.0, _C.HOME_HEALTH: 0.5},
        min_age=18,
    ),
    ServiceLineSpec(
        name="Sleep study",
        description="Home sleep apnea testing and in-lab polysomnography.",
        criteria="Adults with suspected sleep apnea (STOP-BANG of 3 or more) or another sleep disorder.",
        required_records=("Sleep questionnaire (STOP-BANG / Epworth)", "Recent clinic notes"),
        how_to_refer="Fax the order and questionnaire; most insurers require prior authorization.",
        after_referral="We obtain authorization, then schedule the home test or the lab night.",
        ack_target_hours=8,
        first_contact_target_hours=24,
        reasons=(
            "Suspected obstructive sleep apnea, STOP-BANG 5",
            "Loud snoring and witnessed apneas",
            "Daytime sleepiness, Epworth 15",
            "CPAP titration",
            "Restless legs, periodic limb movements",
            "Insomnia, chronic; evaluation",
        ),
        own_item=IntakeItemSpec("last_sleep_study", "Date of last sleep study, if any", ItemKind.DATE),
        providers=("Sleep lab bed 1", "Sleep lab bed 2", "Home test kit"),
        location="Sleep center, 3rd floor",
        lead_days=(7, 40),
        authorization_share=0.8,
        volume={_C.PRIMARY_CARE: 3.0, _C.SPECIALTY: 2.0, _C.SELF_OTHER: 0.5},
        min_age=18,
    ),
    ServiceLineSpec(
        name="Nutrition counseling",
        description="Medical nutrition therapy with a registered dietitian.",
        criteria="Diabetes, prediabetes, obesity, kidney disease, eating concerns; physician referral.",
        required_records=("Recent labs (A1c, lipids)", "Height and weight"),
        how_to_refer="Fax or portal; include the diagnosis code for medical nutrition therapy.",
        after_referral="A dietitian's assistant calls to book; group classes offered monthly.",
        ack_target_hours=16,
        first_contact_target_hours=24,
        reasons=(
            "Type 2 diabetes, A1c 8.9; medical nutrition therapy",
            "Prediabetes, weight management",
            "Chronic kidney disease stage 3, renal diet",
            "Hyperlipidemia, diet counseling",
            "Gestational diabetes",
            "Pediatric obesity, family counseling",
            "Celiac disease, new diagnosis",
        ),
        own_item=IntakeItemSpec(
            "diet_restrictions", "Current diet restrictions or food allergies", ItemKind.TEXT
        ),
        providers=("Ana Souza, RD", "Brian Cole, RD"),
        location="Wellness center, suite 150",
        lead_days=(5, 28),
        authorization_share=0.1,
        volume={
            _C.PRIMARY_CARE: 4.0,
            _C.SPECIALTY: 1.0,
            _C.HOME_HEALTH: 1.5,
            _C.COMMUNITY: 2.0,
            _C.SELF_OTHER: 1.0,
        },
    ),
)

#: How long ago the patient's trouble started, appended to some reasons.
REASON_SUFFIXES = ("", "", "", "; 6 weeks", "; 3 months", "; since last year", "; worsening", "; recurrent")


def intake_items(line: ServiceLineSpec) -> list[IntakeItemSpec]:
    """The line's intake script: the shipped default (``resources/intake``), with the line's own
    question before the consent item that closes the call."""
    # Imported here: the referral stream's worker processes import this module, and the services (with
    # SQLAlchemy) are needed only by the directory, in the main process.
    from refdesk.services.intake import default_items

    items = [
        IntakeItemSpec(d.key or "", d.prompt, d.kind, tuple(d.choices), d.required, d.blocks_scheduling)
        for d in default_items()
    ]
    consent = next((i for i, item in enumerate(items) if item.key == "consent_updates"), len(items))
    items.insert(consent, line.own_item)
    return items


#: The demo clinic's letterhead, by setting key, stored as the Settings page would store it.
LETTERHEAD: dict[str, str] = {
    settings.CLINIC_NAME: "Riverside Community Clinic",
    settings.CLINIC_ADDRESS: "12 River Road, Suite 200\nSpringfield, IL 62704",
    settings.CLINIC_PHONE: "(555) 201-0000",
    settings.CLINIC_FAX: "(555) 201-0001",
}

# --- partners ------------------------------------------------------------------------------------

PLACES = _words(
    "Oak Street|Riverside|Lakeview|Maple Grove|Cedar Hill|Northgate|Eastside|Westfield|Pine Ridge|"
    "Brookside|Harbor View|Willow Creek|Summit|Valley|Meadowbrook|Fairview|Elm Park|Hillcrest|"
    "Stonebridge|Bayside|Ashford|Kingsley|Greenwood|Southport|Millbrook|Crestview|Old Town|"
    "Union Square|Parkside|Highland|Clearwater|Foxhall"
)
SURNAMES = _words(
    "Alvarez|Bennett|Chen|Delgado|Ellison|Foster|Gupta|Hart|Ibrahim|Jensen|Kowalski|Larsen|Moreno|"
    "Nakamura|O'Hara|Patel|Quinn|Romero|Stein|Tran"
)
SAINTS = _words("Luke's|Mary's|Joseph's|Vincent's|Anne's|Francis")

#: Name templates per category: {place}, {surname}, {surname2}, {saint}.
PARTNER_NAMES: dict[PartnerCategory, tuple[str, ...]] = {
    _C.PRIMARY_CARE: (
        "{place} Family Medicine",
        "{place} Primary Care",
        "{surname} Internal Medicine",
        "{place} Community Health Center",
        "{surname} & {surname2} Family Practice",
        "{place} Pediatrics",
    ),
    _C.SPECIALTY: (
        "{place} Orthopedics & Sports Medicine",
        "{place} Heart & Vascular",
        "{place} Neurology Associates",
        "{surname} Spine Center",
        "{place} Pulmonary & Sleep",
        "{place} Endocrinology",
        "{surname} Rheumatology",
    ),
    _C.THERAPY: (
        "{place} Physical Therapy",
        "{place} Rehab & Occupational Therapy",
        "{surname} Hand Therapy",
        "Motion {place} PT",
    ),
    _C.BEHAVIORAL_HEALTH: (
        "{place} Counseling Center",
        "{place} Behavioral Health",
        "{surname} Psychology Group",
        "{place} Family Therapy",
    ),
    _C.HOME_HEALTH: ("{place} Home Health", "{place} Visiting Nurses", "{place} Care Coordination"),
    _C.COMMUNITY: (
        "{place} Senior Center",
        "{place} Community Services",
        "{place} Family Resource Center",
        "{place} Case Management",
        "{place} School District Nurses",
    ),
    _C.HOSPITAL: (
        "{place} General Hospital, Discharge Planning",
        "St. {saint} Medical Center",
        "{place} Regional Hospital",
        "{place} Urgent Care",
    ),
    _C.SELF_OTHER: (
        "Self-referral",
        "Website / web form",
        "{place} Employer Wellness Program",
        "Insurance care management",
    ),
}

#: Relative share of partners in each category (a clinic has many primary care referrers).
CATEGORY_SHARE: dict[PartnerCategory, float] = {
    _C.PRIMARY_CARE: 0.34,
    _C.SPECIALTY: 0.2,
    _C.THERAPY: 0.1,
    _C.BEHAVIORAL_HEALTH: 0.08,
    _C.HOME_HEALTH: 0.07,
    _C.COMMUNITY: 0.07,
    _C.HOSPITAL: 0.08,
    _C.SELF_OTHER: 0.06,
}

CONTACT_ROLES = _words("Office manager|Clinical lead|Physician|Care coordinator")
STREETS = _words("Main St|Oak Ave|Elm St|Washington Blvd|Park Rd|Lake Dr|Hill St|Center Ave")
CITIES = (
    ("Springfield", "IL", "627"),
    ("Riverton", "IL", "620"),
    ("Fairview Heights", "IL", "622"),
    ("Maple Park", "IL", "601"),
    ("Lincolnshire", "IL", "600"),
)
AREA_CODES = (217, 309, 618, 630, 708, 773, 779, 815, 847, 872)

AGREEMENT_SCOPE = (
    "Referrals by fax or portal; acknowledgement within one business day; status letter monthly to the "
    "office manager; minimum necessary patient detail."
)

TOUCH_NOTES = {
    "call": "Check-in call with the office manager",
    "visit": "Lunch visit; left referral packets",
    "in_service": "In-service for clinical staff on referral criteria",
    "newsletter": "Quarterly newsletter sent",
    "update_sent": "Monthly status letter sent",
    "email": "Emailed updated referral packet",
}

# --- referrals -----------------------------------------------------------------------------------

PAYERS = _words(
    "Medicare|Medicare|Medicaid|Medicaid|Blue Cross Blue Shield|Blue Cross Blue Shield|Aetna|"
    "Cigna|UnitedHealthcare|UnitedHealthcare|Humana|Tricare|Medicare Advantage (Humana)|Meridian|"
    "Self-pay"
)
CONTACT_TIMES = _words(
    "Mornings|Afternoons|After 3 pm|Weekdays 9–12|Any time|Lunchtime|Evenings after 5|"
    "Not before 10 am|Text first"
)
CAREGIVER_CHILD = _words("Mother|Father|Guardian|Grandmother")
CAREGIVER_ELDER = _words("Daughter|Son|Spouse|Niece|Home aide")
ATTEMPT_NOTES = (
    "",
    "",
    "",
    "",
    "",
    "Left message with callback number",
    "Mailbox full",
    "Spoke with spouse; will call back",
    "Number rings busy",
    "Texted scheduling link",
)
CLOSE_NOTES = (
    "",
    "",
    "",
    "Letter sent to the referring office",
    "Partner notified by fax",
    "Discussed with coordinator",
)
