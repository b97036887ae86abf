import { describe, expect, it } from 'vitest';
import { classify } from '../../../domain/classifier/rules.js';

const options = { models: { default: 'gpt-4o-mini', coding: 'gpt-4o' } };

describe('classify', () => {
  it.each([
    ['My app crashes with a stack trace: TypeError at foo (app.js:10:5)', 'debug'],
    ['Why does my build fail with this exception?', 'debug'],
    ['Write a python function that reverses a string', 'coding'],
    ['Give me a regex for email addresses', 'coding'],
    ['What architecture should I use for a chat app? Microservices or a monolith?', 'design'],
    ['How should I design the database schema for orders?', 'design'],
    ['Explain what a README should contain', 'documentation'],
    ['Summarize the docs of the fetch API', 'documentation'],
    ['Analyze the trend in this data: 10, 12, 15, 21', 'analysis'],
    ['Compare Postgres and MySQL for analytics workloads, with metrics', 'analysis'],
    ['What is the capital of France?', 'general'],
    ['hi', 'general'],
  ])('given %j, then the category is %s', (body, category) => {
    expect(classify(body, options).category).toBe(category);
  });

  it('given a coding or debug question, then the coding model answers it', () => {
    expect(classify('Write a python function to sort a list', options).model).toBe('gpt-4o');
    expect(classify('I get an error: exception in thread main', options).model).toBe('gpt-4o');
  });

  it('given any other question, then the default model answers it', () => {
    expect(classify('Explain the docs for this', options).model).toBe('gpt-4o-mini');
    expect(classify('Tell me a joke', options).model).toBe('gpt-4o-mini');
  });

  it('given urgency, then the priority is high', () => {
    expect(classify('URGENT: production down, the API returns 500 errors', options).priority).toBe('high');
    expect(classify('site is down please help asap', options).priority).toBe('high');
  });

  it('given a short greeting, then the priority is low; given a question, then normal', () => {
    expect(classify('hi', options).priority).toBe('low');
    expect(classify('Thanks!', options).priority).toBe('low');
    expect(classify('good morning', options).priority).toBe('low');
    expect(classify('How do I boil an egg?', options).priority).toBe('normal');
  });

  it('given longer, more technical texts, then the complexity score is higher and stays within 0..1', () => {
    const greeting = classify('hi', options).complexityScore;
    const simple = classify('What is the capital of France?', options).complexityScore;
    const technical = classify(
      'My python function throws an exception with this stack trace when the regex runs over the JSON array; ' +
        'the code worked before I refactored the class. Why does it fail now? What should I debug first?',
      options,
    ).complexityScore;
    const huge = classify('error exception python code function '.repeat(100), options).complexityScore;
    expect(greeting).toBeLessThan(simple);
    expect(simple).toBeLessThan(technical);
    expect(technical).toBeLessThanOrEqual(huge);
    expect(huge).toBeLessThanOrEqual(1);
    expect(greeting).toBeGreaterThanOrEqual(0);
  });

  it('given the same text twice, then the same answer', () => {
    const body = 'Design an API schema for a todo app in typescript';
    expect(classify(body, options)).toEqual(classify(body, options));
  });
});
