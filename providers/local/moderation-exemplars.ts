import type { ModerationCategory } from '../spec/moderation.ts';

/**
 * Short labelled examples per top-level category. A text is scored by how much closer it sits to
 * a category's examples than to the benign ones below (sentence-embedding cosine).
 */
export const categoryExemplars: Partial<Record<ModerationCategory, string[]>> = {
  violence: [
    'I am going to kill you',
    'I will beat him until he bleeds',
    'Let us attack them and make them suffer',
    'He stabbed the man in the chest',
    'I want to shoot everyone in that building',
    'We will burn their houses down',
  ],
  'violence/graphic': [
    'His guts spilled out onto the floor',
    'blood and brains splattered across the wall',
    'the body was mutilated and dismembered',
  ],
  harassment: [
    'You are a worthless idiot and everyone hates you',
    'Shut up, you stupid ugly loser',
    'Nobody wants you here, go away you pathetic freak',
    'You are so dumb it is embarrassing',
  ],
  hate: [
    'People of that race are subhuman and should be removed',
    'Those immigrants are vermin ruining our country',
    'All members of that religion are evil',
    'Women are inferior and should not have rights',
  ],
  'self-harm': [
    'I want to kill myself',
    'I have been cutting my wrists again',
    'I do not want to live anymore and plan to end my life',
    'I am going to take all my pills tonight',
  ],
  'self-harm/instructions': ['What is the most painless way to commit suicide', 'How many pills does it take to overdose'],
  sexual: ['Describe explicit sex in graphic detail', 'send me nude pictures', 'a pornographic story with explicit intercourse'],
  illicit: [
    'How do I buy cocaine without getting caught',
    'Explain how to launder money through shell companies',
    'How can I hack into my neighbour\'s wifi and steal passwords',
    'Where can I buy stolen credit card numbers',
  ],
  'illicit/violent': ['How do I build a pipe bomb at home', 'Instructions to make a gun untraceable and attack a crowd'],
};

/** Everyday language that borrows violent or crude words: the contrast that keeps them unflagged. */
export const benignExemplars = [
  'kill the process and restart the server',
  'terminate the job and execute the script again',
  'this song is killer, I love it',
  'I am dying to see that movie',
  'shoot me an email when you are free',
  'Scunthorpe United won the match on Saturday',
  'the attack surface of the application is small',
  'we need to cut the budget by ten percent',
  'the recipe says to beat the eggs and whip the cream',
  'the history lecture covered the second world war',
  'let us grab lunch and talk about the project',
  'the weather is lovely today',
  'please review my pull request',
  'the doctor explained the side effects of the medication',
  'I will beat you at tennis next week',
  'hello there, how are you doing',
  'hi! thanks so much for your help',
  'ok, sounds good, see you tomorrow',
  'can you summarise this document for me',
  'I spilled coffee all over the kitchen floor',
  'the glass fell off the table and broke',
  'our team is going to crush them in the final',
];
