/**
 * Language codes as translation models spell them. `--from` / `--to` take ISO 639-1 ("fr"),
 * ISO 639-3 ("fra"), an English name ("French") or a model's own code ("fra_Latn", "fr_XX");
 * `spellings` lists what a model might call the language:
 *   Marian multi-target tokens >>fr<< / >>fra<<, M2M100 __fr__, NLLB-200 fra_Latn (FLORES-200
 *   codes), mBART-50 fr_XX, T5 task_specific_params "translation_en_to_fr", prompts "French".
 */
export interface Language { iso1: string; iso3: string; name: string; nllb: string; mbart?: string }

// ISO 639-1, ISO 639-3, English name, FLORES-200 code, mBART-50 code
const TABLE: [string, string, string, string, string?][] = [
  ['af', 'afr', 'Afrikaans', 'afr_Latn', 'af_ZA'], ['ar', 'ara', 'Arabic', 'arb_Arab', 'ar_AR'], ['bg', 'bul', 'Bulgarian', 'bul_Cyrl'],
  ['bn', 'ben', 'Bengali', 'ben_Beng', 'bn_IN'], ['ca', 'cat', 'Catalan', 'cat_Latn'], ['cs', 'ces', 'Czech', 'ces_Latn', 'cs_CZ'],
  ['da', 'dan', 'Danish', 'dan_Latn'], ['de', 'deu', 'German', 'deu_Latn', 'de_DE'], ['el', 'ell', 'Greek', 'ell_Grek'],
  ['en', 'eng', 'English', 'eng_Latn', 'en_XX'], ['es', 'spa', 'Spanish', 'spa_Latn', 'es_XX'], ['et', 'est', 'Estonian', 'est_Latn', 'et_EE'],
  ['fa', 'fas', 'Persian', 'pes_Arab', 'fa_IR'], ['fi', 'fin', 'Finnish', 'fin_Latn', 'fi_FI'], ['fr', 'fra', 'French', 'fra_Latn', 'fr_XX'],
  ['he', 'heb', 'Hebrew', 'heb_Hebr', 'he_IL'], ['hi', 'hin', 'Hindi', 'hin_Deva', 'hi_IN'], ['hr', 'hrv', 'Croatian', 'hrv_Latn', 'hr_HR'],
  ['hu', 'hun', 'Hungarian', 'hun_Latn'], ['id', 'ind', 'Indonesian', 'ind_Latn', 'id_ID'], ['it', 'ita', 'Italian', 'ita_Latn', 'it_IT'],
  ['ja', 'jpn', 'Japanese', 'jpn_Jpan', 'ja_XX'], ['ko', 'kor', 'Korean', 'kor_Hang', 'ko_KR'], ['lt', 'lit', 'Lithuanian', 'lit_Latn', 'lt_LT'],
  ['lv', 'lav', 'Latvian', 'lvs_Latn', 'lv_LV'], ['nl', 'nld', 'Dutch', 'nld_Latn', 'nl_XX'], ['no', 'nor', 'Norwegian', 'nob_Latn'],
  ['pl', 'pol', 'Polish', 'pol_Latn', 'pl_PL'], ['pt', 'por', 'Portuguese', 'por_Latn', 'pt_XX'], ['ro', 'ron', 'Romanian', 'ron_Latn', 'ro_RO'],
  ['ru', 'rus', 'Russian', 'rus_Cyrl', 'ru_RU'], ['sk', 'slk', 'Slovak', 'slk_Latn'], ['sl', 'slv', 'Slovenian', 'slv_Latn', 'sl_SI'],
  ['sv', 'swe', 'Swedish', 'swe_Latn', 'sv_SE'], ['sw', 'swa', 'Swahili', 'swh_Latn', 'sw_KE'], ['ta', 'tam', 'Tamil', 'tam_Taml', 'ta_IN'],
  ['th', 'tha', 'Thai', 'tha_Thai', 'th_TH'], ['tr', 'tur', 'Turkish', 'tur_Latn', 'tr_TR'], ['uk', 'ukr', 'Ukrainian', 'ukr_Cyrl', 'uk_UA'],
  ['ur', 'urd', 'Urdu', 'urd_Arab', 'ur_PK'], ['vi', 'vie', 'Vietnamese', 'vie_Latn', 'vi_VN'], ['zh', 'zho', 'Chinese', 'zho_Hans', 'zh_CN'],
]

export const LANGUAGES: readonly Language[] = TABLE.map(([iso1, iso3, name, nllb, mbart]) => ({ iso1, iso3, name, nllb, mbart }))

/**
 * The language `code` names, or undefined. Case-insensitive on ISO codes and names; a model code
 * ("fra_Latn", "fr_XX", "__fr__", ">>fra<<") is matched through the table too.
 */
export function findLanguage(code: string): Language | undefined {
  const c = code.trim().replace(/^>>(.+)<<$/, '$1').replace(/^__(.+)__$/, '$1')
  const lower = c.toLowerCase()
  return LANGUAGES.find((l) => l.iso1 === lower || l.iso3 === lower || l.name.toLowerCase() === lower || l.nllb.toLowerCase() === lower || l.mbart?.toLowerCase() === lower)
    ?? LANGUAGES.find((l) => lower.split(/[-_]/)[0] === l.iso1 || lower.split(/[-_]/)[0] === l.iso3)
}

/** Every way a model might spell `code` (the code as given first). */
export function spellings(code: string): string[] {
  const l = findLanguage(code)
  const out = [code]
  if (l) out.push(l.iso1, l.iso3, l.nllb, ...(l.mbart ? [l.mbart] : []), l.name)
  return [...new Set(out)]
}

/** The English name for prompts ("French"), else the code itself. */
export function languageName(code: string): string {
  return findLanguage(code)?.name ?? code
}

/** Same language? ("fr" = "fra" = "French" = "fra_Latn") */
export function sameLanguage(a: string, b: string): boolean {
  if (a.toLowerCase() === b.toLowerCase()) return true
  const la = findLanguage(a), lb = findLanguage(b)
  return la !== undefined && la === lb
}
