/**
 * The built-in prompt templates, as the objects their YAML would parse to (so they ship inside
 * dist/ with no file to copy). `llm templates show NAME` prints each as YAML.
 */
import { toTemplate, type PromptTemplate } from './template.js'

const RAW: Record<string, object> = {
  summarize: {
    description: 'Summarize a text (llm summarize uses it for every call: chunk, combine and refine)',
    system: 'You write accurate, concise summaries using only facts from the given text.',
    // {{instruction}}, {{words}}, {{format}} and {{focus}} are supplied by llm summarize
    prompt: '{{instruction}}\n\n{{input}}',
    variables: { instruction: 'Summarize the text.', words: '120', format: 'paragraph', focus: '' },
    options: { temperature: 0.2, repeat_penalty: 1.1 },
  },
  translate: {
    description: 'Translate a text into another language',
    system: 'You are a professional translator. You translate faithfully and reply with the translation only.',
    prompt: 'Translate the text into {{target}}.{{#source}} The text is in {{source}}.{{/source}}\n\n{{input}}',
    variables: { target: 'English', source: '' },
    options: { temperature: 0 },
  },
  classify: {
    description: 'Classify a text into one of the given labels',
    system: 'You are a precise text classifier. You reply with exactly one label and nothing else.',
    prompt: 'Classify the text into exactly one of these labels: {{labels}}. Reply with the label only.\n\n{{input}}',
    variables: { labels: null },
    options: { temperature: 0, max_tokens: 16, stop: ['\n'] },
  },
}

export const BUILTIN_TEMPLATES: Readonly<Record<string, PromptTemplate>> = Object.fromEntries(
  Object.entries(RAW).map(([name, raw]) => [name, toTemplate({ name, ...raw }, `builtin:${name}`, name)]),
)
