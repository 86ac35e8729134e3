/**
 * English function words left out of BM25 queries (when a query has any other word), so that a
 * question matches documents by its content words and "nothing relevant" means no content word
 * matched. A short list in the spirit of Lucene's EnglishAnalyzer / NLTK's, plus question words.
 */
export const STOPWORDS = new Set(`a about above after again against all am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had has have having he her
here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off on
once only or other our ours ourselves out over own same she should so some such than that the their theirs them
themselves then there these they this those through to too under until up very was we were what when where which while
who whom why will with would you your yours yourself yourselves tell`.split(/\s+/))
